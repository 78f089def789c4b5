"""Routing, stock holds and exactly-once placement against fake suppliers, on both backends."""

from __future__ import annotations

import threading
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from connectors.http import RemoteUnavailable
from hub.bootstrap import Hub
from hub.db.models import (
    AttentionItem,
    LedgerEntry,
    Offer,
    Order,
    OrderLine,
    OutboxMessage,
    Reservation,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.domain.orders import OrderLineIn
from hub.services import outbox
from hub.services.cancellation import cancel_open_supplier_orders
from hub.services.intake import ingest_orders
from hub.services.routing import route, route_pending
from tests import catalogue_builders as cb
from tests.factories import make_order
from tests.fakes import FakeRegistry, FakeSupplierAccount


def order_with(hub: Hub, store_id: int, external_id: str, *lines: tuple[str, int], country: str = "US") -> int:
    base = make_order(external_id)
    order_lines = tuple(OrderLineIn(external_id=f"{external_id}-{i}", sku=sku, title=sku, quantity=qty,
                                    unit_price=Decimal("40.00"), variant_id=f"v-{sku}")
                        for i, (sku, qty) in enumerate(lines))
    address = replace(base.shipping_address, country_code=country) if base.shipping_address else None
    ingest_orders(hub.db, store_id, [replace(base, lines=order_lines, shipping_address=address)], "test")
    with hub.db.transaction() as session:
        return int(session.execute(select(Order.id).where(Order.external_id == external_id)).scalar_one())


def count(hub: Hub, model: type, *where: object) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


@pytest.fixture
def world(hub: Hub) -> dict[str, object]:
    """Two suppliers with overlapping catalogues; listings map MUG to both (alpha first), CAP to beta."""
    accounts = {"alpha": FakeSupplierAccount(), "beta": FakeSupplierAccount(honours_key=False)}
    hub.connectors = FakeRegistry(accounts)
    store_id = cb.store(hub.db)
    alpha, beta = cb.supplier(hub.db, "alpha", priority=1), cb.supplier(hub.db, "beta", priority=2)
    mug_a, mug_b = cb.offer(hub.db, alpha, "MUG", "10.00", stock=5), cb.offer(hub.db, beta, "MUG-B", "9.00")
    cap_b = cb.offer(hub.db, beta, "CAP-B", "4.00", stock=3, countries=["US", "CA"])
    cb.listing(hub.db, store_id, "MUG", "v-MUG", mug_a, mug_b)
    cb.listing(hub.db, store_id, "CAP", "v-CAP", cap_b)
    return {"store": store_id, "accounts": accounts, "alpha": alpha, "beta": beta, "mug_a": mug_a, "mug_b": mug_b,
            "cap_b": cap_b}


def test_an_order_splits_into_one_supplier_order_per_supplier(hub: Hub, world: dict) -> None:
    order_id = order_with(hub, world["store"], "1", ("MUG", 2), ("CAP", 1), ("NOPE", 1))
    result = route(hub, order_id)
    assert result is not None and result.status == "partially_routed"
    assert (result.routed_lines, result.attention_lines) == (2, 1)
    with hub.db.transaction() as session:
        orders = {so.supplier_id: so for so in session.execute(select(SupplierOrder)).scalars()}
        mug = session.get(Offer, world["mug_a"])
        cap = session.get(Offer, world["cap_b"])
        line_states = dict(session.execute(select(OrderLine.sku, OrderLine.attention_reason)).all())
    assert set(orders) == {world["alpha"], world["beta"]}
    assert orders[world["alpha"]].expected_cost == Decimal("20.00")
    assert mug is not None and cap is not None and (mug.reserved, cap.reserved) == (2, 1)
    assert line_states["NOPE"] == "no_mapping"
    assert count(hub, OutboxMessage, OutboxMessage.kind == "supplier.place") == 2
    assert count(hub, AttentionItem) == 1
    assert route(hub, order_id) is None  # routed orders are not routed again


def test_fallback_country_and_unpaid_orders(hub: Hub, world: dict) -> None:
    far = order_with(hub, world["store"], "2", ("CAP", 1), country="DE")
    assert route(hub, far).status == "attention"  # type: ignore[union-attr]
    with hub.db.transaction() as session:
        assert session.execute(select(OrderLine.attention_reason)).scalar_one() == "country_not_served"
    big = order_with(hub, world["store"], "3", ("MUG", 7))
    route(hub, big)
    with hub.db.transaction() as session:
        assert session.execute(select(SupplierOrder.supplier_id)).scalar_one() == world["beta"]
    unpaid = make_order("4", financial=make_order().financial_status.__class__("pending"))
    ingest_orders(hub.db, world["store"], [unpaid], "test")
    assert route_pending(hub) == {}


def test_fifty_threads_compete_for_ten_units(hub: Hub, world: dict) -> None:
    with hub.db.transaction() as session:
        session.get(Offer, world["mug_a"]).stock = 10  # type: ignore[union-attr]
        session.get(Offer, world["mug_b"]).active = False  # type: ignore[union-attr]
    order_ids = [order_with(hub, world["store"], f"r{i}", ("MUG", 1)) for i in range(50)]
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def work(order_id: int) -> None:
        try:
            barrier.wait()
            route(hub, order_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(oid,)) for oid in order_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    with hub.db.transaction() as session:
        offer = session.get(Offer, world["mug_a"])
        held = session.execute(select(func.sum(Reservation.quantity))).scalar_one()
        routed = session.execute(select(func.count()).select_from(Order).where(Order.status == "routed")).scalar_one()
        waiting = session.execute(select(func.count()).select_from(Order).where(Order.status == "attention")
                                  ).scalar_one()
    assert offer is not None and offer.reserved == 10 and held == 10
    assert routed == 10 and waiting == 40


def test_placement_is_exactly_once_through_lost_answers_and_crashes(hub: Hub, world: dict) -> None:
    accounts = world["accounts"]
    accounts["alpha"].lose_answer_next = 1  # type: ignore[attr-defined]
    accounts["beta"].lose_answer_next = 1  # type: ignore[attr-defined]  # beta has no idempotency keys
    accounts["alpha"].fail_next.append(RemoteUnavailable("503"))  # type: ignore[attr-defined]
    route(hub, order_with(hub, world["store"], "5", ("MUG", 1), ("CAP", 1)))
    for _ in range(4):  # each pass retries what is due; force the backoff to be over
        outbox.dispatch(hub)
        with hub.db.transaction() as session:
            for message in session.execute(select(OutboxMessage)).scalars():
                message.available_at = message.created_at
    assert accounts["alpha"].created == 1 and accounts["beta"].created == 1  # type: ignore[attr-defined]
    with hub.db.transaction() as session:
        states = set(session.execute(select(SupplierOrder.state)).scalars())
        reserved = session.execute(select(func.sum(Offer.reserved))).scalar_one()
        consumed = set(session.execute(select(Reservation.state)).scalars())
        stock = {o.supplier_sku: o.stock for o in session.execute(select(Offer)).scalars()}
    assert states == {"accepted"} and reserved == 0 and consumed == {"consumed"}
    assert (stock["MUG"], stock["CAP-B"]) == (4, 2)  # the placed units left the suppliers' stock


def test_a_refusal_fails_releases_and_reroutes(hub: Hub, world: dict) -> None:
    world["accounts"]["alpha"].reject_all = "address not deliverable"  # type: ignore[attr-defined]
    order_id = order_with(hub, world["store"], "6", ("MUG", 1))
    route(hub, order_id)
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        assert session.get(Order, order_id).status == "new"  # type: ignore[union-attr]
        assert session.get(Offer, world["mug_a"]).reserved == 0  # type: ignore[union-attr]
    route(hub, order_id)  # the rerouting pass skips the supplier that refused
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        rows = session.execute(select(SupplierOrder.supplier_id, SupplierOrder.state).order_by(SupplierOrder.id)
                               ).all()
    assert rows == [(world["alpha"], "failed"), (world["beta"], "accepted")]
    assert count(hub, AttentionItem, AttentionItem.kind == "supplier_rejected") == 1


def test_cancellation_before_and_after_placement(hub: Hub, world: dict) -> None:
    hub.settings.supplier_hold_seconds = 3600
    held = order_with(hub, world["store"], "7", ("MUG", 1))
    route(hub, held)
    placed_id = order_with(hub, world["store"], "8", ("CAP", 1))
    hub.settings.supplier_hold_seconds = 0
    with hub.db.transaction() as session:
        session.get(Order, placed_id).status = "new"  # type: ignore[union-attr]
    route(hub, placed_id)
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        for order_id in (held, placed_id):
            session.get(Order, order_id).status = "cancelled"  # type: ignore[union-attr]
    counts = cancel_open_supplier_orders(hub, [held, placed_id])
    assert counts == {"cancelled": 1, "requested": 1}
    outbox.dispatch(hub, kinds=["supplier.cancel"])
    with hub.db.transaction() as session:
        states = dict(session.execute(select(SupplierOrder.order_id, SupplierOrder.state)).all())
        reserved = session.execute(select(func.sum(Offer.reserved))).scalar_one()
    assert states == {held: "cancelled", placed_id: "cancelled"}
    assert reserved == 0
    assert world["accounts"]["alpha"].created == 0  # type: ignore[attr-defined]  # held order never left
    with hub.db.transaction() as session:  # no supplier money stays on either order
        supplier_rows = dict(session.execute(
            select(LedgerEntry.order_id, func.count()).where(LedgerEntry.supplier_order_id.is_not(None))
            .group_by(LedgerEntry.order_id)).all())
        net = {order_id: session.execute(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.order_id == order_id, LedgerEntry.supplier_order_id.is_not(None))).scalar_one()
            for order_id in (held, placed_id)}
    assert held not in supplier_rows, "the estimate of an order that never left is gone"
    assert net == {held: 0, placed_id: 0}  # the fake charges nothing: its estimate went with the cancel
    assert count(hub, SupplierOrderLine) == 2


def test_a_routing_whose_process_died_between_chunks_is_continued(hub: Hub, world: dict,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from hub.db.base import utcnow
    from hub.services import routing

    monkeypatch.setattr(routing, "CHUNK_LINES", 2)
    order_id = order_with(hub, world["store"], "big", *[("MUG", 1)] * 3, *[("CAP", 1)] * 2, ("NOPE", 1))
    applied = routing._apply
    calls: list[int] = []

    def dies_after_one_chunk(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt("the process is killed after its first chunk committed")
        applied(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(routing, "_apply", dies_after_one_chunk)
    with pytest.raises(KeyboardInterrupt):
        route(hub, order_id)
    monkeypatch.setattr(routing, "_apply", applied)
    assert count(hub, OrderLine, OrderLine.routing_status == "routed") == 2  # one chunk landed
    assert count(hub, OutboxMessage) == 0  # nothing is placed half-written

    assert route_pending(hub) == {}  # a routing that moved moments ago is left to its owner
    later = utcnow() + routing.STALE_ROUTING + timedelta(seconds=1)
    assert route_pending(hub, now=later) == {"partially_routed": 1}
    with hub.db.transaction() as session:
        order = session.get(Order, order_id)
        assert order is not None and order.status == "partially_routed" and order.routing_token is None
        lines = dict(session.execute(select(OrderLine.routing_status, func.count()).where(
            OrderLine.order_id == order_id).group_by(OrderLine.routing_status)).all())
        per_supplier = session.execute(select(SupplierOrder.supplier_id, func.count()).group_by(
            SupplierOrder.supplier_id)).all()
        held = session.execute(select(func.sum(Reservation.quantity))).scalar_one()
        mug = session.get(Offer, world["mug_a"])
    assert lines == {"routed": 5, "attention": 1}
    assert sorted(n for _, n in per_supplier) == [1, 1]  # one supplier order per supplier, as before
    assert count(hub, SupplierOrderLine) == 5 and held == 5 and mug is not None and mug.reserved == 3
    assert count(hub, OutboxMessage, OutboxMessage.kind == "supplier.place") == 2
    assert count(hub, LedgerEntry, LedgerEntry.estimated.is_(True)) > 0
