"""Routing and placement stay set-based: an ordinary order costs a fixed handful of statements
whatever its lines and suppliers (per-row ORM flushes would grow with them), and the batched
writers keep the rules of the single ones (outbox keys ignored twice, charged estimates kept)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from sqlalchemy import event, func, select

from hub.bootstrap import Hub
from hub.db.models import LedgerEntry, Order, OutboxMessage, SupplierOrder
from hub.domain.outbox_kinds import OutboxKind
from hub.services import outbox, outbox_messages
from hub.services.ledger import record_supplier_charge, record_supplier_estimates
from hub.services.routing import route
from tests.integration.test_routing import order_with, world

_ = world  # fixture

# Measured when routing became set-based: 31 statements on PostgreSQL, 32 on SQLite, for one
# supplier or two alike (the per-row code took 45 and more, growing with every supplier).
ROUTING_BUDGET = 34
PLACING_BUDGET = 24  # claim, call, accept, consume, events, lifecycle: 17 on PostgreSQL, 21 on SQLite


@contextmanager
def statements(hub: Hub) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(hub.db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", count)


def test_routing_an_order_takes_the_same_few_statements_for_one_or_two_suppliers(hub: Hub, world: dict) -> None:
    one = order_with(hub, world["store"], "one", ("MUG", 1))
    two = order_with(hub, world["store"], "two", ("MUG", 1), ("CAP", 1), ("MUG", 1))
    counts = []
    for order_id in (one, two):
        with statements(hub) as seen:
            result = route(hub, order_id)
        assert result is not None and result.status == "routed"
        counts.append(len(seen))
    with hub.db.transaction() as session:
        per_order = dict(session.execute(select(SupplierOrder.order_id, func.count()).group_by(
            SupplierOrder.order_id)).all())
    assert per_order == {one: 1, two: 2}
    assert counts[0] == counts[1] <= ROUTING_BUDGET, counts


def test_placing_a_supplier_order_stays_within_its_statements(hub: Hub, world: dict) -> None:
    route(hub, order_with(hub, world["store"], "p", ("MUG", 2)))
    with hub.db.transaction() as session:
        message_id = session.execute(select(OutboxMessage.id)).scalar_one()
    with statements(hub) as seen:
        assert outbox.deliver(hub, message_id) == "done"
    assert len(seen) <= PLACING_BUDGET, len(seen)
    with hub.db.transaction() as session:
        assert session.execute(select(SupplierOrder.state)).scalar_one() == "accepted"


def test_enqueue_many_adds_each_key_once(hub: Hub, world: dict) -> None:
    with hub.db.transaction() as session:
        added = outbox_messages.enqueue_many(session, OutboxKind.PLACE, [
            ("k1", {"supplier_order_id": 1}, None), ("k2", {"supplier_order_id": 2}, None)])
    with hub.db.transaction() as session:
        again = outbox_messages.enqueue_many(session, OutboxKind.PLACE, [
            ("k2", {"supplier_order_id": 2}, None), ("k3", {"supplier_order_id": 3}, None)])
        assert outbox_messages.enqueue_many(session, OutboxKind.PLACE, []) == 0
    assert (added, again) == (2, 1)
    with hub.db.transaction() as session:
        keys = session.execute(select(OutboxMessage.idempotency_key).order_by(OutboxMessage.id)).scalars().all()
    assert keys == ["k1", "k2", "k3"]


def test_batched_estimates_leave_a_charged_supplier_order_alone(hub: Hub, world: dict) -> None:
    route(hub, order_with(hub, world["store"], "e", ("MUG", 1), ("CAP", 1)))
    with hub.db.transaction() as session:
        rows = session.execute(select(SupplierOrder).order_by(SupplierOrder.id)).scalars().all()
        charged, estimated = rows
        record_supplier_charge(session, charged.id, Decimal("7.00"), Decimal(0), charged.currency)
        order = session.get(Order, charged.order_id)
        assert order is not None
        record_supplier_estimates(session, order, [
            (so.id, so.supplier_id, so.expected_cost, so.expected_shipping, so.currency, so.created_at)
            for so in rows])
    with hub.db.transaction() as session:
        flags = session.execute(select(LedgerEntry.supplier_order_id, LedgerEntry.estimated).where(
            LedgerEntry.supplier_order_id.is_not(None))).all()
    assert {flag for so_id, flag in flags if so_id == charged.id} == {False}  # the charge stays, no estimate back
    assert {flag for so_id, flag in flags if so_id == estimated.id} == {True}
