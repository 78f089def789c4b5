"""The sandbox shop's state: deterministic seeded catalogue, stock, orders, payments, fulfillment.

Records are plain mutable dataclasses guarded by the server's lock; `nodes.py` renders them as
GraphQL nodes and `rest.py` as REST-shaped webhook bodies.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connectors.shopify.sandbox.config import SandboxConfig

CENT = Decimal("0.01")
FEE_RATE = Decimal("0.029")
FEE_FLAT = Decimal("0.30")
TAX_RATE = Decimal("0.21")
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_FIRST = ("Ada", "Bob", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jana")
_LAST = ("Novak", "Smith", "Müller", "Rossi", "Kowalski", "Dubois", "Svoboda", "Garcia")
_PLACES = (
    ("Praha", "CZ", None, "110 00"),
    ("Berlin", "DE", None, "10115"),
    ("Louisville", "US", "KY", "40202"),
    ("Toronto", "CA", "ON", "M5H 2N2"),
    ("Lyon", "FR", None, "69001"),
)


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Variant:
    id: int
    product_id: int
    product_title: str
    title: str
    sku: str
    barcode: str
    price: Decimal
    inventory_item_id: int


@dataclass
class Location:
    id: int
    name: str
    country: str


@dataclass
class Line:
    id: int
    variant: Variant
    quantity: int
    price: Decimal
    discount: Decimal


@dataclass
class Transaction:
    id: int
    kind: str
    status: str
    amount: Decimal
    fee: Decimal
    processed_at: datetime
    parent_id: int | None = None


@dataclass
class RefundLine:
    id: int
    line: Line
    quantity: int
    subtotal: Decimal  # what the units cost the customer after line and order discounts, before tax
    tax: Decimal


@dataclass
class Refund:
    """Money returned to the customer: items, shipping, their tax, and any amount beyond them
    (`adjustment`, Shopify's refund discrepancy: a goodwill amount, or negative when less is returned)."""

    id: int
    created_at: datetime
    lines: list[RefundLine]
    shipping: Decimal
    shipping_tax: Decimal
    adjustment: Decimal
    transaction: Transaction

    @property
    def total(self) -> Decimal:
        items = sum((rl.subtotal + rl.tax for rl in self.lines), Decimal(0))
        return items + self.shipping + self.shipping_tax + self.adjustment


@dataclass
class FulfillmentOrderLine:
    id: int
    line: Line
    remaining: int


@dataclass
class FulfillmentOrder:
    id: int
    location_id: int
    lines: list[FulfillmentOrderLine]
    status: str = "OPEN"


@dataclass
class Fulfillment:
    id: int
    order_id: int
    status: str
    company: str | None
    number: str | None
    url: str | None
    created_at: datetime


@dataclass
class Order:
    id: int
    number: int
    created_at: datetime
    updated_at: datetime
    email: str
    customer_name: str
    place: tuple[str, str, str | None, str]
    lines: list[Line]
    shipping: Decimal
    tax: Decimal
    currency: str
    tags: list[str] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    fulfillment_orders: list[FulfillmentOrder] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)
    financial_status: str = "PAID"
    cancelled_at: datetime | None = None
    order_discount: Decimal = Decimal("0.00")  # a discount on the whole order, not allocated to lines
    refunds: list[Refund] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        """Line prices after line and order discounts, before shipping and tax (Shopify's subtotal)."""
        return sum((ln.price * ln.quantity - ln.discount for ln in self.lines), Decimal(0)) - self.order_discount

    @property
    def discounts(self) -> Decimal:
        return sum((ln.discount for ln in self.lines), Decimal(0)) + self.order_discount

    @property
    def refunded(self) -> Decimal:
        return sum((r.total for r in self.refunds), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.shipping + self.tax

    @property
    def fulfillment_status(self) -> str:
        remaining = sum(fl.remaining for fo in self.fulfillment_orders for fl in fo.lines)
        ordered = sum(ln.quantity for ln in self.lines)
        if remaining == ordered:
            return "UNFULFILLED"
        return "FULFILLED" if remaining == 0 else "PARTIALLY_FULFILLED"


@dataclass
class Payout:
    id: int
    issued_at: datetime
    status: str
    transactions: list[tuple[Order, Transaction]]


def balance_amounts(t: Transaction) -> tuple[Decimal, Decimal]:
    """(amount, fee) of a transaction as the balance sees it: a refund takes money out."""
    return (-t.amount, t.fee) if t.kind == "REFUND" else (t.amount, t.fee)


@dataclass
class WebhookSubscription:
    id: int
    topic: str  # GraphQL enum, e.g. ORDERS_CREATE
    callback_url: str


class ShopData:
    """All records, created deterministically from `config.seed`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self._next_id = 1_000_000
        self.locations = [
            Location(self.new_id(), f"Warehouse {i + 1}", ("CZ", "DE", "US")[i % 3])
            for i in range(config.locations)
        ]
        self.variants: list[Variant] = []
        for p in range(config.products):
            product_id = self.new_id()
            for v in range(config.variants_per_product):
                price = money(Decimal(self.rng.randint(500, 15000)) / 100)
                self.variants.append(
                    Variant(
                        self.new_id(),
                        product_id,
                        f"Product {p + 1}",
                        f"Size {'SML'[v % 3]}{v // 3 or ''}",
                        f"SBX-{p + 1:04d}-{v + 1}",
                        f"{8590000000000 + self.new_id()}",
                        price,
                        self.new_id(),
                    )
                )
        self.inventory: dict[tuple[int, int], int] = {
            (v.inventory_item_id, loc.id): self.rng.randint(0, 50)
            for v in self.variants
            for loc in self.locations
        }
        self.orders: list[Order] = []  # kept sorted by (updated_at, id)
        self.orders_by_id: dict[int, Order] = {}
        self.fulfillment_orders: dict[int, tuple[Order, FulfillmentOrder]] = {}
        self.payouts: list[Payout] = []
        self.webhooks: list[WebhookSubscription] = []
        self.idempotency: dict[str, dict[str, Any]] = {}
        self._order_number = 1000
        self.events: list[tuple[str, int]] = []  # (webhook topic, order id), drained by the server
        self.recording = False
        times = history_times(config)
        for i, at in enumerate(times):
            order = self.add_order(at)
            if i % 5 == 4:  # every fifth seeded order has already shipped
                self.fulfil_all(order, min(at + timedelta(hours=20), times[-1]))
        self.settle_payouts((times[-1] if times else EPOCH) + timedelta(minutes=1))
        self.recording = True

    def continue_after(self, last_id: int, last_number: int) -> None:
        """Go on from ids and order numbers a previous run already used (the demo on one database)."""
        self._next_id = max(self._next_id, last_id)
        self._order_number = max(self._order_number, last_number)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_order(self, at: datetime) -> Order:
        """A new paid order at `at`: lines, shipping, tax, its sale with a fee, one fulfillment order."""
        rng = self.rng
        count = self.config.lines_per_order or rng.randint(1, 4)
        lines = []
        for variant in rng.sample(self.variants, min(count, len(self.variants))):
            quantity = rng.randint(1, 3)
            discount = (
                money(variant.price * quantity * Decimal("0.10")) if rng.random() < 0.2 else Decimal("0.00")
            )
            lines.append(Line(self.new_id(), variant, quantity, variant.price, discount))
        self._order_number += 1
        place = rng.choice(_PLACES)
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        subtotal = sum((ln.price * ln.quantity - ln.discount for ln in lines), Decimal(0))
        order = Order(
            id=self.new_id(),
            number=self._order_number,
            created_at=at,
            updated_at=at,
            email=f"{name.split()[0].lower()}{self._order_number}@example.com",
            customer_name=name,
            place=place,
            lines=lines,
            shipping=money(Decimal(rng.choice((0, 490, 990))) / 100),
            tax=Decimal(0),
            currency=self.config.currency,
            tags=sorted(rng.sample(["vip", "repeat", "gift", "wholesale"], rng.randint(0, 2))),
        )
        if self.config.order_discount_rate and rng.random() < self.config.order_discount_rate:
            order.order_discount = min(money(subtotal * Decimal(rng.choice((5, 10, 15))) / 100), subtotal)
        order.tax = money(order.subtotal * TAX_RATE)
        fee = money(order.total * FEE_RATE + FEE_FLAT)
        order.transactions.append(Transaction(self.new_id(), "SALE", "SUCCESS", order.total, fee, at))
        location = self.locations[0]
        fo = FulfillmentOrder(
            self.new_id(), location.id, [FulfillmentOrderLine(self.new_id(), ln, ln.quantity) for ln in lines]
        )
        order.fulfillment_orders.append(fo)
        self.fulfillment_orders[fo.id] = (order, fo)
        self.orders.append(order)  # `at` never goes back in time for new orders
        self.orders_by_id[order.id] = order
        if self.recording:
            self.events.append(("ORDERS_CREATE", order.id))
        return order

    def fulfil_all(self, order: Order, at: datetime) -> Fulfillment:
        """Ship everything that remains of an order in one fulfillment with tracking."""
        for fo in order.fulfillment_orders:
            for fl in fo.lines:
                fl.remaining = 0
            fo.status = "CLOSED"
        number = f"1Z{order.id:016d}"
        fulfillment = Fulfillment(
            self.new_id(),
            order.id,
            "SUCCESS",
            "UPS",
            number,
            f"https://www.ups.com/track?tracknum={number}",
            at,
        )
        order.fulfillments.append(fulfillment)
        return fulfillment

    def touch(self, order: Order, at: datetime) -> None:
        """Mark an order updated (keeps `orders` sorted by update time)."""
        order.updated_at = max(at, order.updated_at)
        self.orders.remove(order)
        self.orders.append(order)
        self.orders.sort(key=lambda o: (o.updated_at, o.id))
        if self.recording:
            self.events.append(("ORDERS_UPDATED", order.id))

    def settle_payouts(self, at: datetime) -> None:
        """Pay out every successful sale and refund not yet paid out, one payout per 25 transactions."""
        paid = {t.id for p in self.payouts for _, t in p.transactions}
        pending = [
            (o, t)
            for o in self.orders
            for t in o.transactions
            if t.kind in ("SALE", "REFUND") and t.status == "SUCCESS" and t.id not in paid
        ]
        for start in range(0, len(pending), 25):
            self.payouts.append(Payout(self.new_id(), at, "PAID", pending[start : start + 25]))


def history_times(config: SandboxConfig) -> list[datetime]:
    """When the seeded orders were placed, oldest first: 7 minutes apart from EPOCH, or spread
    evenly over the `history_days` up to `history_end` (the last one a minute before it)."""
    if config.history_end is None:
        return [EPOCH + timedelta(minutes=7 * i) for i in range(config.orders)]
    start = config.history_end - timedelta(days=config.history_days)
    span = (config.history_end - timedelta(minutes=1) - start) // timedelta(microseconds=1)
    steps = max(config.orders - 1, 1)
    return [start + timedelta(microseconds=span * i // steps) for i in range(config.orders)]


def order_key(order: Order) -> list[int]:
    """Sort key and cursor of the orders connection (update time in µs since EPOCH, then id)."""
    return [(order.updated_at - EPOCH) // timedelta(microseconds=1), order.id]
