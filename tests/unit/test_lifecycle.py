"""Every lifecycle and the precedence between them, table-driven, plus properties over random orders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.lifecycle import LABELS, LIFECYCLES, SETTLED, Lifecycle, LineFacts, OrderFacts, derive

L = Lifecycle


def line(qty: int = 2, status: str = "routed", shipped: int = 0, ships: bool = True) -> LineFacts:
    return LineFacts(qty, status, ships, shipped)


def facts(*lines: LineFacts, hub: str = "routed", paid: str = "paid", store: str = "unfulfilled",
          cancelled: bool = False, sos: tuple[str, ...] = (), parcels: int = 0, fulfilled: int = 0) -> OrderFacts:
    return OrderFacts(hub, paid, store, cancelled, tuple(lines), sos, parcels, fulfilled)


CASES = [
    # (why, facts, expected)
    ("new and unpaid", facts(line(status="pending"), hub="new", paid="pending"), L.RECEIVED),
    ("new, paid, waiting for routing", facts(line(status="pending"), hub="new"), L.RECEIVED),
    ("being routed", facts(line(status="pending"), hub="routing"), L.RECEIVED),
    ("routed, supplier order on hold", facts(line(), sos=("pending",)), L.ROUTED),
    ("being placed", facts(line(), sos=("placing",)), L.ROUTED),
    ("one of two supplier orders placed", facts(line(), line(), sos=("accepted", "pending")), L.ROUTED),
    ("accepted by the supplier", facts(line(), sos=("accepted",)), L.PLACED),
    ("placed, an older attempt failed", facts(line(), sos=("failed", "accepted")), L.PLACED),
    ("a line cannot be routed", facts(line(status="attention"), hub="attention"), L.NEEDS_ATTENTION),
    ("partially routed", facts(line(), line(status="attention"), hub="partially_routed", sos=("accepted",)),
     L.NEEDS_ATTENTION),
    ("supplier refused, no reroute", facts(line(), sos=("failed",)), L.NEEDS_ATTENTION),
    ("supplier refused, waiting for reroute", facts(line(status="pending"), hub="new", sos=("failed",)),
     L.RECEIVED),
    ("one parcel of two units", facts(line(qty=2, shipped=1), sos=("accepted",), parcels=1), L.PARTIALLY_SHIPPED),
    ("one of two suppliers shipped", facts(line(shipped=2), line(), sos=("shipped", "accepted"), parcels=1),
     L.PARTIALLY_SHIPPED),
    ("the store shipped part itself", facts(line(status="pending"), hub="fulfilled_by_store", store="partial"),
     L.PARTIALLY_SHIPPED),
    ("every unit in parcels", facts(line(shipped=2), sos=("shipped",), parcels=1), L.SHIPPED),
    ("supplier says shipped, no parcel yet", facts(line(), sos=("shipped",)), L.SHIPPED),
    ("delivered, not yet at the store", facts(line(shipped=2), sos=("delivered",), parcels=1), L.SHIPPED),
    ("a removed line does not hold it back", facts(line(shipped=2), line(status="removed"), sos=("shipped",),
                                                   parcels=1), L.SHIPPED),
    ("a line without shipping does not hold it back", facts(line(shipped=2), line(ships=False, status="pending"),
                                                            sos=("shipped",), parcels=1), L.SHIPPED),
    ("every parcel a store fulfillment", facts(line(shipped=2), sos=("shipped",), parcels=2, fulfilled=2),
     L.FULFILLED),
    ("one parcel of two fulfilled", facts(line(shipped=2), sos=("shipped",), parcels=2, fulfilled=1), L.SHIPPED),
    ("store fulfilled it itself", facts(line(status="pending"), hub="fulfilled_by_store", store="fulfilled"),
     L.FULFILLED),
    ("store says fulfilled after our parcels", facts(line(shipped=2), sos=("shipped",), parcels=1,
                                                     store="fulfilled"), L.FULFILLED),
    ("cancelled at the store", facts(line(status="cancelled"), hub="cancelled", cancelled=True), L.CANCELLED),
    ("payment voided", facts(line(status="pending"), hub="new", paid="voided"), L.CANCELLED),
    ("refunded", facts(line(), sos=("accepted",), paid="refunded"), L.REFUNDED),
    ("partially refunded while placed", facts(line(), sos=("accepted",), paid="partially_refunded"),
     L.PARTIALLY_REFUNDED),
    ("no lines at all", facts(hub="new"), L.RECEIVED),
]


@pytest.mark.parametrize(("why", "order", "expected"), CASES, ids=[case[0] for case in CASES])
def test_each_lifecycle(why: str, order: OrderFacts, expected: Lifecycle) -> None:
    assert derive(order) is expected, why


def test_every_lifecycle_has_a_case_and_a_label() -> None:
    assert {case[2] for case in CASES} == set(Lifecycle)
    assert set(LABELS) == set(LIFECYCLES)


PRECEDENCE = [
    # (higher, lower): facts showing both, the higher one wins
    ("cancelled over refunded", facts(line(), hub="cancelled", cancelled=True, paid="refunded"), L.CANCELLED),
    ("cancelled over shipped", facts(line(shipped=2), sos=("shipped",), parcels=1, cancelled=True), L.CANCELLED),
    ("refunded over fulfilled", facts(line(), store="fulfilled", paid="refunded"), L.REFUNDED),
    ("fulfilled over partially refunded", facts(line(), store="fulfilled", paid="partially_refunded"),
     L.FULFILLED),
    ("partially refunded over attention", facts(line(status="attention"), hub="attention",
                                                paid="partially_refunded"), L.PARTIALLY_REFUNDED),
    ("partially refunded over shipped", facts(line(shipped=2), sos=("shipped",), parcels=1,
                                              paid="partially_refunded"), L.PARTIALLY_REFUNDED),
    ("attention over partially shipped", facts(line(shipped=2), line(status="attention"),
                                               hub="partially_routed", sos=("shipped",), parcels=1),
     L.NEEDS_ATTENTION),
    ("fulfilled over attention", facts(line(status="attention"), hub="fulfilled_by_store", store="fulfilled"),
     L.FULFILLED),
]


@pytest.mark.parametrize(("why", "order", "expected"), PRECEDENCE, ids=[case[0] for case in PRECEDENCE])
def test_precedence(why: str, order: OrderFacts, expected: Lifecycle) -> None:
    assert derive(order) is expected, why


_lines = st.lists(st.builds(LineFacts, st.integers(1, 5),
                            st.sampled_from(["pending", "routed", "attention", "removed", "cancelled"]),
                            st.booleans(), st.integers(0, 5)), max_size=4)
_orders = st.builds(
    OrderFacts, st.sampled_from(["new", "routing", "routed", "partially_routed", "attention", "fulfilled_by_store",
                                 "cancelled"]),
    st.sampled_from(["pending", "authorized", "paid", "partially_paid", "partially_refunded", "refunded",
                     "voided", "unknown"]),
    st.sampled_from(["unfulfilled", "partial", "fulfilled", "restocked", "unknown"]), st.booleans(),
    _lines.map(tuple),
    st.lists(st.sampled_from(["pending", "placing", "placed", "accepted", "shipped", "delivered", "failed",
                              "cancelled"]), max_size=3).map(tuple),
    st.integers(0, 3), st.integers(0, 3))


@given(_orders)
def test_money_and_cancellation_always_win(order: OrderFacts) -> None:
    """Whatever the goods say, a cancelled order reads cancelled and a refunded one refunded."""
    result = derive(order)
    assert result.value in LIFECYCLES
    if order.cancelled or order.hub_status == "cancelled" or order.financial_status == "voided":
        assert result is L.CANCELLED
    elif order.financial_status == "refunded":
        assert result is L.REFUNDED
    elif order.fulfillment_status == "fulfilled":
        assert result is L.FULFILLED


@given(_orders)
def test_shipped_means_every_shipping_line_left(order: OrderFacts) -> None:
    """SHIPPED is never said of an order with a shippable line still waiting or unrouted."""
    if derive(order) is L.SHIPPED:
        waiting = [ln for ln in order.lines if ln.requires_shipping and ln.routing_status in ("pending", "attention")]
        assert not waiting or all(ln.shipped >= ln.quantity for ln in waiting)


@given(_orders)
def test_settled_orders_are_never_unsent(order: OrderFacts) -> None:
    """Store-fulfilled orders are settled: the unsent-order anomaly must skip them."""
    if order.fulfillment_status == "fulfilled":
        assert derive(order) in SETTLED
