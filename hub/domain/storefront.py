"""What a storefront tells the hub besides orders: shop, variants, locations, fulfillment orders,
payments. Platform-neutral value types; ids are the platform's numeric ids as text (never GIDs),
like `OrderIn.external_id`, so every channel names a thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from hub.domain.money import Money


@dataclass(frozen=True, slots=True)
class ShopInfo:
    name: str
    domain: str
    currency: str
    plan: str | None = None
    plus: bool = False
    development: bool = False


@dataclass(frozen=True, slots=True)
class StoreVariant:
    """A sellable variant as the store lists it (what the hub keeps as a listing)."""

    variant_id: str
    product_id: str
    inventory_item_id: str | None
    sku: str | None
    barcode: str | None
    price: Decimal
    title: str
    product_title: str | None = None


@dataclass(frozen=True, slots=True)
class StoreLocation:
    location_id: str
    name: str
    active: bool = True
    fulfills_online_orders: bool = True
    country_code: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentOrderLine:
    fulfillment_order_line_id: str
    line_item_id: str | None
    sku: str | None
    total_quantity: int
    remaining_quantity: int


@dataclass(frozen=True, slots=True)
class FulfillmentOrder:
    fulfillment_order_id: str
    status: str  # lower case: open, in_progress, closed, cancelled, ...
    location_id: str | None
    lines: tuple[FulfillmentOrderLine, ...]


@dataclass(frozen=True, slots=True)
class FulfillmentLineRequest:
    """Fulfil `quantity` of one fulfillment-order line (quantity None = all that remains)."""

    fulfillment_order_id: str
    fulfillment_order_line_id: str
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class Tracking:
    number: str | None = None
    company: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FulfillmentResult:
    fulfillment_id: str
    status: str
    tracking: Tracking


@dataclass(frozen=True, slots=True)
class InventoryQuantity:
    """Set `available` of one inventory item at one location to `quantity`.

    `expected` is the quantity we believe the store holds now (compare-and-set); None skips the check.
    """

    inventory_item_id: str
    location_id: str
    quantity: int
    expected: int | None = None


@dataclass(frozen=True, slots=True)
class VariantPrice:
    variant_id: str
    product_id: str
    price: Decimal
    compare_at_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TransactionFee:
    fee_id: str | None
    type: str | None
    amount: Money
    flat_fee: Money | None = None
    tax: Money | None = None
    rate: Decimal | None = None
    rate_name: str | None = None


@dataclass(frozen=True, slots=True)
class OrderTransaction:
    transaction_id: str
    order_id: str
    kind: str  # sale, capture, authorization, refund, void, ... (lower case)
    status: str  # success, failure, pending, ... (lower case)
    gateway: str | None
    amount: Money
    processed_at: datetime | None
    parent_id: str | None = None
    test: bool = False
    fees: tuple[TransactionFee, ...] = field(default_factory=tuple)

    @property
    def total_fees(self) -> Money:
        total = Money.zero(self.amount.currency)
        for fee in self.fees:
            if fee.amount.currency == total.currency:
                total = total + fee.amount
        return total


@dataclass(frozen=True, slots=True)
class OrderRefund:
    """One refund of an order, split as the ledger needs it: the tax returned is not profit lost.

    `total` is the money returned; `line_tax` and `shipping_tax` the tax in it; `shipping` the
    shipping returned before tax. The rest (items before tax, and any amount beyond items and
    shipping) is `goods`."""

    refund_id: str
    order_id: str
    created_at: datetime | None
    total: Money
    line_tax: Money
    shipping: Money
    shipping_tax: Money
    transaction_ids: tuple[str, ...] = ()

    @property
    def goods(self) -> Money:
        return self.total - self.line_tax - self.shipping - self.shipping_tax


@dataclass(frozen=True, slots=True)
class OrderPayments:
    """An order's payment transactions and its refunds, read together in one call."""

    transactions: tuple[OrderTransaction, ...]
    refunds: tuple[OrderRefund, ...]


@dataclass(frozen=True, slots=True)
class Payout:
    payout_id: str
    status: str
    issued_at: datetime | None
    net: Money
    charges_gross: Money | None = None
    charges_fee: Money | None = None
    refunds_gross: Money | None = None
    refunds_fee: Money | None = None
    adjustments_gross: Money | None = None
    adjustments_fee: Money | None = None


@dataclass(frozen=True, slots=True)
class BalanceTransaction:
    transaction_id: str
    type: str
    amount: Money
    fee: Money
    net: Money
    transaction_date: datetime | None
    source_type: str | None = None
    source_id: str | None = None
    source_order_transaction_id: str | None = None
    order_id: str | None = None
    payout_id: str | None = None
    payout_status: str | None = None
    test: bool = False


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    subscription_id: str
    topic: str  # Shopify's REST-style topic, e.g. "orders/create"
    address: str | None
