"""Intake upserts orders exactly once per (store, external id), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hub.db.engine import Database
from hub.db.models import Order, OrderEvent, OrderLine, Store
from hub.domain.orders import FinancialStatus
from hub.services.intake import ingest_orders
from tests.factories import make_order, touched


@pytest.fixture
def store_id(db: Database) -> int:
    with db.transaction() as session:
        store = Store(platform="shopify", name="s", shop_domain="s.myshopify.com", currency="USD", settings={})
        session.add(store)
        session.flush()
        return store.id


def _count(db: Database, model: type, **where: object) -> int:
    with db.transaction() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(session.execute(query).scalar_one())


def test_new_then_unchanged_writes_nothing(db: Database, store_id: int) -> None:
    orders = [make_order(str(1000 + i)) for i in range(5)]
    first = ingest_orders(db, store_id, orders, "pull")
    assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
    events = _count(db, OrderEvent)
    again = ingest_orders(db, store_id, [touched(o, 3) for o in orders], "webhook")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert _count(db, Order) == 5 and _count(db, OrderLine) == 10 and _count(db, OrderEvent) == events
    with db.transaction() as session:
        order = session.execute(select(Order).where(Order.external_id == "1000")).scalar_one()
    assert order.total_price == Decimal("34.90") and order.currency == "USD"
    assert order.shipping_address == {"name": "Ada", "address1": "1 Main St", "city": "Springfield",
                                      "country_code": "US"}


def test_changes_update_lines_and_write_the_timeline(db: Database, store_id: int) -> None:
    order = make_order("77", financial=FinancialStatus.PENDING)
    ingest_orders(db, store_id, [order], "pull")
    paid = touched(order, 5, financial_status=FinancialStatus.PAID,
                   lines=(replace(order.lines[0], quantity=3), *order.lines[1:]))
    result = ingest_orders(db, store_id, [paid], "webhook")
    assert result.updated == 1
    cancelled = touched(paid, 10, cancelled_at=paid.updated_at + timedelta(minutes=10), cancel_reason="customer",
                        lines=paid.lines[:1])
    assert ingest_orders(db, store_id, [cancelled], "webhook").cancelled == 1
    with db.transaction() as session:
        row = session.execute(select(Order).where(Order.external_id == "77")).scalar_one()
        kinds = session.execute(select(OrderEvent.kind).where(OrderEvent.order_id == row.id)
                                .order_by(OrderEvent.id)).scalars().all()
        lines = {line.external_id: (line.quantity, line.routing_status) for line in session.execute(
            select(OrderLine).where(OrderLine.order_id == row.id)).scalars()}
    assert row.status == "cancelled" and row.financial_status == "paid" and row.cancel_reason == "customer"
    assert kinds == ["received", "financial_status", "updated", "cancelled", "updated"]
    assert lines == {"77-1": (3, "pending"), "77-2": (2, "removed")}


def test_a_late_older_version_does_not_overwrite(db: Database, store_id: int) -> None:
    order = make_order("5", minutes=10, price="12.00")
    ingest_orders(db, store_id, [order], "pull")
    older = make_order("5", minutes=1, price="9.00")
    assert ingest_orders(db, store_id, [older], "webhook").stale == 1
    with db.transaction() as session:
        assert session.execute(select(Order.subtotal_price)).scalar_one() == Decimal("36.00")


def test_a_batch_holding_an_order_twice_keeps_the_newest(db: Database, store_id: int) -> None:
    result = ingest_orders(db, store_id, [make_order("9", minutes=5, price="2.00"),
                                          make_order("9", minutes=1, price="1.00")], "pull")
    assert result.created == 1
    with db.transaction() as session:
        assert session.execute(select(Order.subtotal_price)).scalar_one() == Decimal("6.00")


def test_parallel_deliveries_leave_one_order_each(db: Database, store_id: int) -> None:
    orders = [make_order(str(i)) for i in range(20)]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            barrier.wait()
            for order in orders:
                ingest_orders(db, store_id, [order], "webhook")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _count(db, Order) == 20
    assert _count(db, OrderLine) == 40
    assert _count(db, OrderEvent, kind="received") == 20
