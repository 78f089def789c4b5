"""Pure computation of ledger entries: which money facts an order, a transaction or a supplier
charge makes, each with a deterministic `source_ref` so a re-sync writes the same rows again.

Sign convention: + income, - cost. Profit buckets are derived from `kind` (see PROFIT_BUCKETS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

SALE = "sale"
DISCOUNT = "discount"
SHIPPING = "shipping"
TAX = "tax"
REFUND = "refund"
REFUND_SHIPPING = "refund_shipping"
REFUND_TAX = "refund_tax"  # tax returned with a refund: recorded, excluded from profit like tax
PAYMENT_FEE = "payment_fee"
CHARGEBACK = "chargeback"
SUPPLIER_COST = "supplier_cost"
SUPPLIER_SHIPPING = "supplier_shipping"
FX_DIFFERENCE = "fx_difference"

# Which profit column each kind feeds; tax (and tax refunded) is recorded but belongs to no column.
PROFIT_BUCKETS: dict[str, tuple[str, ...]] = {
    "revenue": (SALE, DISCOUNT, SHIPPING),
    "refunds": (REFUND, REFUND_SHIPPING, CHARGEBACK),
    "fees": (PAYMENT_FEE,),
    "supplier_cost": (SUPPLIER_COST,),
    "shipping_cost": (SUPPLIER_SHIPPING,),
    "fx": (FX_DIFFERENCE,),
}

REFUND_KINDS = frozenset({"refund"})
CHARGEBACK_KINDS = frozenset({"chargeback", "dispute"})
INCOME_KINDS = frozenset({"sale", "capture"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger row to write; ids are the hub's database ids."""

    source_ref: str
    kind: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    order_line_id: int | None = None
    supplier_id: int | None = None
    supplier_order_id: int | None = None
    estimated: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_id: int
    sku: str | None
    quantity: int
    unit_price: Decimal
    total_discount: Decimal


@dataclass(frozen=True, slots=True)
class OrderFacts:
    order_id: int
    currency: str
    placed_at: datetime
    lines: tuple[LineFacts, ...]
    total_discounts: Decimal
    total_shipping: Decimal
    total_tax: Decimal


@dataclass(frozen=True, slots=True)
class TxnFacts:
    """A storefront transaction reduced to what the ledger needs."""

    transaction_id: str
    kind: str
    status: str
    amount: Decimal
    currency: str
    processed_at: datetime
    fees: tuple[tuple[str, Decimal, str], ...] = ()  # (fee id or index, amount, currency)
    shipping_refund: Decimal = Decimal(0)  # part of a refund that returned shipping


def order_entries(order: OrderFacts) -> list[Entry]:
    """Sale per line (after line discounts), order-level discount, shipping charged and tax."""
    ref = f"order:{order.order_id}"
    entries: list[Entry] = []
    line_discounts = Decimal(0)
    for line in order.lines:
        revenue = line.unit_price * line.quantity - line.total_discount
        line_discounts += line.total_discount
        entries.append(Entry(f"{ref}:line:{line.line_id}:sale", SALE, revenue, order.currency, order.placed_at,
                             order_line_id=line.line_id, description=line.sku))
    # Shopify's total_discounts includes line discounts; only the rest is an order-level discount.
    order_discount = order.total_discounts - line_discounts
    if order_discount:
        entries.append(Entry(f"{ref}:discount", DISCOUNT, -order_discount, order.currency, order.placed_at))
    if order.total_shipping:
        entries.append(Entry(f"{ref}:shipping", SHIPPING, order.total_shipping, order.currency, order.placed_at))
    if order.total_tax:
        entries.append(Entry(f"{ref}:tax", TAX, order.total_tax, order.currency, order.placed_at))
    return entries


@dataclass(frozen=True, slots=True)
class RefundFacts:
    """A storefront refund: the money returned, split so that returned tax is not profit lost."""

    refund_id: str
    currency: str
    created_at: datetime
    goods: Decimal  # items before tax, and any amount beyond items and shipping
    shipping: Decimal
    tax: Decimal  # line tax + shipping tax


def refund_entries(refund: RefundFacts) -> list[Entry]:
    """Goods, shipping and tax returned by one refund (negative: money out)."""
    ref = f"refund:{refund.refund_id}"
    parts = ((REFUND, "goods", refund.goods), (REFUND_SHIPPING, "shipping", refund.shipping),
             (REFUND_TAX, "tax", refund.tax))
    return [Entry(f"{ref}:{name}", kind, -amount, refund.currency, refund.created_at)
            for kind, name, amount in parts if amount]


def transaction_entries(txn: TxnFacts, *, refund_amounts: bool = True) -> list[Entry]:
    """Refunds (split into goods and shipping), chargebacks and payment fees of one transaction.

    `refund_amounts=False` when the storefront's refund records are booked instead (with their
    tax split, see `refund_entries`): a refund transaction then adds only its fees."""
    if txn.status != "success":
        return []
    ref = f"txn:{txn.transaction_id}"
    entries: list[Entry] = []
    if txn.kind in REFUND_KINDS:
        if refund_amounts:
            entries += _refund_amount_entries(txn, ref)
    elif txn.kind in CHARGEBACK_KINDS:
        entries.append(Entry(f"{ref}:chargeback", CHARGEBACK, -abs(txn.amount), txn.currency, txn.processed_at))
    for fee_id, amount, currency in txn.fees:
        if amount:
            entries.append(Entry(f"{ref}:fee:{fee_id}", PAYMENT_FEE, -amount, currency, txn.processed_at))
    return entries


def _refund_amount_entries(txn: TxnFacts, ref: str) -> list[Entry]:
    """A refund read from its transaction alone: goods and shipping, the tax not known apart."""
    entries: list[Entry] = []
    goods = txn.amount - txn.shipping_refund
    if goods:
        entries.append(Entry(f"{ref}:refund", REFUND, -goods, txn.currency, txn.processed_at))
    if txn.shipping_refund:
        entries.append(Entry(f"{ref}:refund_shipping", REFUND_SHIPPING, -txn.shipping_refund, txn.currency,
                             txn.processed_at))
    return entries


def supplier_entries(supplier_order_id: int, supplier_id: int, product_cost: Decimal, shipping_cost: Decimal,
                     currency: str, at: datetime, *, estimated: bool) -> list[Entry]:
    """Supplier cost and shipping; estimated rows and actual rows have distinct references."""
    tag = "estimate" if estimated else "actual"
    ref = f"supplier_order:{supplier_order_id}:{tag}"
    return [
        Entry(f"{ref}:cost", SUPPLIER_COST, -product_cost, currency, at, supplier_id=supplier_id,
              supplier_order_id=supplier_order_id, estimated=estimated),
        Entry(f"{ref}:shipping", SUPPLIER_SHIPPING, -shipping_cost, currency, at, supplier_id=supplier_id,
              supplier_order_id=supplier_order_id, estimated=estimated),
    ]


def fx_difference_entry(supplier_order_id: int, supplier_id: int, expected_total: Decimal,
                        charged_in_expected: Decimal, currency: str, at: datetime) -> Entry | None:
    """A charge in another currency than expected: the cost rows keep the expected amounts in the
    expected currency and this row carries the rest (charged amount at the rate of the charge day
    minus expected), so the sum equals the real charge and the FX effect stays visible."""
    difference = expected_total - charged_in_expected
    if not difference:
        return None
    return Entry(f"supplier_order:{supplier_order_id}:fx", FX_DIFFERENCE, difference, currency, at,
                 supplier_id=supplier_id, supplier_order_id=supplier_order_id)
