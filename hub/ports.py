"""What the core asks of the outside world. Connectors satisfy these structurally; tests use fakes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from hub.domain.orders import Address, OrderIn, RejectedOrder
from hub.domain.storefront import (
    BalanceTransaction,
    FulfillmentLineRequest,
    FulfillmentOrder,
    FulfillmentResult,
    InventoryQuantity,
    OrderPayments,
    Payout,
    ShopInfo,
    StoreLocation,
    StoreVariant,
    Tracking,
    VariantPrice,
    WebhookSubscription,
)


class Storefront(Protocol):
    """A connected store, as order intake sees it."""

    def shop(self) -> ShopInfo: ...

    def orders(self, updated_since: datetime | None = None,
               page_size: int | None = None) -> Iterator[OrderIn | RejectedOrder]:
        """Every order updated at or after `updated_since`, oldest update first, with all its lines;
        an order that cannot be mapped comes as a `RejectedOrder` in its place."""
        ...

    def register_webhooks(self, address: str, topics: Sequence[str]) -> list[WebhookSubscription]: ...

    def products_and_variants(self, page_size: int = 100) -> Iterator[StoreVariant]: ...

    def fulfillment_orders(self, order_id: str) -> list[FulfillmentOrder]: ...

    def locations(self) -> list[StoreLocation]: ...

    def set_inventory(self, quantities: Sequence[InventoryQuantity], reason: str = "correction",
                      name: str = "available") -> int:
        """Absolute quantities, in batches of at most 250; returns how many were sent."""
        ...

    def update_variant_prices(self, prices: Sequence[VariantPrice]) -> int: ...

    def order_fulfillments(self, order_id: str) -> list[FulfillmentResult]:
        """The fulfillments the store already has for an order (to never create one twice)."""
        ...

    def create_fulfillment(self, lines: Sequence[FulfillmentLineRequest], tracking: Tracking | None = None,
                           notify_customer: bool = True) -> FulfillmentResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoreCredentials:
    """What a connector needs to reach one store; the token is decrypted only into this value."""

    platform: str
    shop_domain: str
    access_token: str
    api_version: str
    base_url: str | None = None

    def __repr__(self) -> str:
        return f"StoreCredentials({self.platform!r}, {self.shop_domain!r}, api_version={self.api_version!r})"


class StorefrontFactory(Protocol):
    def __call__(self, credentials: StoreCredentials) -> Storefront: ...


# -- suppliers ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SupplierLineRequest:
    sku: str  # the supplier's SKU (or CJ's variant id / vid)
    quantity: int
    unit_cost: Decimal | None = None  # what the hub expects to pay, for suppliers that want it


@dataclass(frozen=True)
class SupplierOrderRequest:
    """One order to place with one supplier. `reference` is ours and unique; suppliers echo it."""

    reference: str
    idempotency_key: str
    currency: str
    lines: tuple[SupplierLineRequest, ...]
    ship_to: Address
    email: str | None = None
    phone: str | None = None
    note: str | None = None
    shipping_method: str | None = None


@dataclass(frozen=True)
class SupplierShipment:
    tracking_number: str
    carrier: str | None = None
    tracking_url: str | None = None
    lines: tuple[tuple[str, int], ...] = ()  # (supplier sku, quantity); empty = the whole order
    shipped_at: datetime | None = None


class SupplierOrderState(StrEnum):
    ACCEPTED = "accepted"  # the supplier has it (paid or awaiting payment)
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class SupplierOrderStatus:
    """What the supplier says of one of our orders."""

    reference: str
    remote_id: str
    state: SupplierOrderState
    product_cost: Decimal | None = None  # what the supplier charged for the goods
    shipping_cost: Decimal | None = None
    currency: str | None = None
    shipments: tuple[SupplierShipment, ...] = ()
    message: str | None = None


@dataclass(frozen=True)
class StockLevel:
    sku: str
    quantity: int


class Supplier(Protocol):
    """A supplier the hub places orders with.

    Errors: `connectors.http.RemoteRejected` (or a subclass) is a permanent refusal — the order
    fails with its reason; `RemoteUnavailable`/`RateLimited` are temporary — try again later.
    """

    @property
    def honours_idempotency_key(self) -> bool:
        """True when a repeated `place_order` with the same key cannot create a second order."""
        ...

    def place_order(self, request: SupplierOrderRequest) -> SupplierOrderStatus: ...

    def get_order(self, reference: str, remote_id: str | None = None) -> SupplierOrderStatus | None:
        """The order placed under our `reference`, or None when the supplier has none."""
        ...

    def cancel_order(self, reference: str, remote_id: str | None = None) -> bool:
        """True when cancelled; False when it is too late (already shipped)."""
        ...

    def stock(self, skus: Sequence[str]) -> list[StockLevel]: ...

    def close(self) -> None: ...


class PaymentsSource(Protocol):
    """A storefront that reports its payments: order transactions with fees, payouts and their
    balance transactions (Shopify Payments). Kept apart from Storefront: not every platform has it."""

    def order_payments(self, order_id: str) -> OrderPayments:
        """Transactions and refunds (with the tax they returned) of one order, in one call."""
        ...

    def payouts(self, issued_since: date | None = None, page_size: int = 50) -> Iterator[Payout]: ...

    def balance_transactions(self, payout_id: str | None = None, page_size: int = 100
                             ) -> Iterator[BalanceTransaction]: ...
