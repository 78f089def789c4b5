"""One lifecycle per order, derived from its lines, supplier orders, parcels and money state.

The hub keeps many partial statuses (the store's payment and fulfillment status, the hub's routing
status, each line's routing status, each supplier order's state, each parcel); a person wants one
word. `derive` is the only place that word is decided, so the stored column, the API, the CLI and
the dashboard can never disagree.

Precedence, first match wins (documented in the README too):
 1. cancelled           the store order is cancelled (or its payment voided): nothing more will ship
 2. refunded            all the money went back
 3. fulfilled           the store marked it fulfilled (by itself or through the hub), or every parcel
                        covering every line is recorded as a store fulfillment
 4. partially_refunded  some money went back and the goods are not all with the customer yet
 5. needs_attention     a line cannot be routed, or a supplier refused and nothing replaced it
 6. shipped             every line that ships has left in parcels (or every supplier order shipped)
 7. partially_shipped   some of it left
 8. placed              every open supplier order was accepted by its supplier
 9. routed              lines are assigned to suppliers, not all placed yet
10. received            nothing done yet (waiting for payment or routing)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Lifecycle(StrEnum):
    """In the order an order lives them (lists and counts show them so)."""

    RECEIVED = "received"
    NEEDS_ATTENTION = "needs_attention"
    ROUTED = "routed"
    PLACED = "placed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    FULFILLED = "fulfilled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


LIFECYCLES: tuple[str, ...] = tuple(member.value for member in Lifecycle)

# Words, not codes: how the dashboard and the CLI say each one.
LABELS: dict[str, str] = {
    "received": "Received", "needs_attention": "Needs attention", "routed": "Routed", "placed": "Placed",
    "partially_shipped": "Partially shipped", "shipped": "Shipped", "fulfilled": "Fulfilled",
    "cancelled": "Cancelled", "refunded": "Refunded", "partially_refunded": "Partially refunded",
}

# Finished: nothing is left for the hub to send (the unsent-order anomaly skips these).
SETTLED: frozenset[Lifecycle] = frozenset({Lifecycle.FULFILLED, Lifecycle.CANCELLED, Lifecycle.REFUNDED})

_DEAD_LINE = frozenset({"removed", "cancelled"})  # lines the store dropped or the hub closed
_CLOSED_SUPPLIER = frozenset({"failed", "cancelled"})
_SHIPPED_SUPPLIER = frozenset({"shipped", "delivered"})
_PLACED_SUPPLIER = frozenset({"placed", "accepted"})


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One order line: its routing status and how many units left in parcels so far."""

    quantity: int
    routing_status: str = "pending"
    requires_shipping: bool = True
    shipped: int = 0


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """Everything the lifecycle depends on, read from the database by the refresh service."""

    hub_status: str = "new"
    financial_status: str = "paid"
    fulfillment_status: str = "unfulfilled"
    cancelled: bool = False
    lines: tuple[LineFacts, ...] = ()
    supplier_orders: tuple[str, ...] = ()  # the state of each supplier order (every attempt)
    parcels: int = 0
    parcels_fulfilled: int = 0  # parcels recorded as a store fulfillment


def derive(facts: OrderFacts) -> Lifecycle:
    """The order's one lifecycle (see the module's precedence list)."""
    if facts.cancelled or facts.hub_status == "cancelled" or facts.financial_status == "voided":
        return Lifecycle.CANCELLED
    if facts.financial_status == "refunded":
        return Lifecycle.REFUNDED
    shipping = _shipping(facts)
    if facts.fulfillment_status == "fulfilled" or (
            shipping is Lifecycle.SHIPPED and facts.parcels > 0 and facts.parcels_fulfilled >= facts.parcels):
        return Lifecycle.FULFILLED
    if facts.financial_status == "partially_refunded":
        return Lifecycle.PARTIALLY_REFUNDED
    if _needs_attention(facts):
        return Lifecycle.NEEDS_ATTENTION
    if shipping is not None:
        return shipping
    open_orders = [state for state in facts.supplier_orders if state not in _CLOSED_SUPPLIER]
    if open_orders and all(state in _PLACED_SUPPLIER for state in open_orders):
        return Lifecycle.PLACED
    if open_orders or facts.hub_status == "routed" or any(
            line.routing_status == "routed" for line in facts.lines):
        return Lifecycle.ROUTED
    return Lifecycle.RECEIVED


def _needs_attention(facts: OrderFacts) -> bool:
    if facts.hub_status in ("attention", "partially_routed"):
        return True
    if any(line.routing_status == "attention" for line in facts.lines):
        return True
    # A supplier refused (or cancelled) and no other supplier order is open: unless the hub is about
    # to route the lines again (status new or routing), a person must act.
    closed = any(state in _CLOSED_SUPPLIER for state in facts.supplier_orders)
    open_orders = any(state not in _CLOSED_SUPPLIER for state in facts.supplier_orders)
    return closed and not open_orders and facts.hub_status not in ("new", "routing") and any(
        line.routing_status == "routed" for line in facts.lines)


def _shipping(facts: OrderFacts) -> Lifecycle | None:
    """SHIPPED, PARTIALLY_SHIPPED, or None when nothing has left yet."""
    shippable = [line for line in facts.lines if line.routing_status not in _DEAD_LINE and line.requires_shipping]
    open_orders = [state for state in facts.supplier_orders if state not in _CLOSED_SUPPLIER]
    by_parcels = bool(shippable) and all(line.shipped >= line.quantity for line in shippable)
    by_supplier = bool(open_orders) and all(state in _SHIPPED_SUPPLIER for state in open_orders) and not any(
        line.routing_status in ("pending", "attention") for line in shippable)
    if by_parcels or by_supplier:
        return Lifecycle.SHIPPED
    if (any(line.shipped > 0 for line in shippable) or any(state in _SHIPPED_SUPPLIER for state in open_orders)
            or facts.fulfillment_status == "partial"):
        return Lifecycle.PARTIALLY_SHIPPED
    return None
