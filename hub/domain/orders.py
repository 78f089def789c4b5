"""The hub's normalized order: what every channel (Shopify pull, webhook, manual, CSV) produces.

Intake compares these values, not raw payloads, so the same order arriving by two channels in
two shapes (GraphQL pull vs REST-shaped webhook) is recognised as the same and unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class FinancialStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    UNKNOWN = "unknown"


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"
    RESTOCKED = "restocked"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Address:
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2, upper case
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class OrderLineIn:
    """One line as the channel sold it. Prices are per unit, before the line's discount."""

    external_id: str
    sku: str | None
    title: str
    quantity: int
    unit_price: Decimal
    total_discount: Decimal = Decimal(0)
    variant_id: str | None = None  # numeric id as text (Shopify legacy id), never a GID
    product_id: str | None = None
    requires_shipping: bool = True


@dataclass(frozen=True, slots=True)
class OrderIn:
    """A storefront order, normalized. `external_id` is the numeric id as text (GID suffix)."""

    external_id: str
    name: str
    currency: str
    created_at: datetime
    updated_at: datetime
    financial_status: FinancialStatus
    fulfillment_status: FulfillmentStatus
    subtotal_price: Decimal  # lines after line discounts, before order discounts, shipping, tax
    total_discounts: Decimal
    total_shipping: Decimal
    total_tax: Decimal
    total_price: Decimal
    lines: tuple[OrderLineIn, ...]
    email: str | None = None
    shipping_address: Address | None = None
    billing_address: Address | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    processed_at: datetime | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def fingerprint(self) -> str:
        """Stable hash of what the order says; timestamps are left out so a no-op touch is no change.

        Built by hand (not `dataclasses.asdict`, which deep-copies) because intake hashes every order.
        """
        parts: list[object] = [getattr(self, name) for name in _FINGERPRINT_FIELDS]
        parts.append([astuple_shallow(line) for line in self.lines])
        parts.append(astuple_shallow(self.shipping_address) if self.shipping_address else None)
        parts.append(astuple_shallow(self.billing_address) if self.billing_address else None)
        encoded = json.dumps(parts, default=str, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()


_FINGERPRINT_FIELDS = ("external_id", "name", "currency", "financial_status", "fulfillment_status",
                       "subtotal_price", "total_discounts", "total_shipping", "total_tax", "total_price",
                       "email", "cancelled_at", "cancel_reason", "tags")


def astuple_shallow(value: object) -> list[object]:
    """Field values of a flat dataclass, in declaration order, without copying."""
    return [getattr(value, f.name) for f in fields(value)]  # type: ignore[arg-type]


def gid_to_id(value: str | int | None) -> str | None:
    """'gid://shopify/Order/123' → '123'; plain ids pass through as text."""
    if value is None:
        return None
    text = str(value)
    return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text


# The hub's own status of an order (orders.status), as routing, intake and cancellation set it.
ORDER_STATUSES: tuple[str, ...] = ("new", "routing", "routed", "partially_routed", "attention",
                                   "fulfilled_by_store", "cancelled")
