"""order_daily follows the orders on both backends: inserts (one by one and in bulk), a re-sync, a
moved placed_at, a deleted order — always equal to counting the orders themselves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update

from hub.bootstrap import Hub
from hub.db.models import Order, OrderDaily, OrderEvent, OrderLine
from hub.services import kpis
from hub.services.intake import ingest_orders
from tests import catalogue_builders as cb
from tests.factories import make_order

START = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)


def _counted(hub: Hub) -> dict[tuple[date, int], int]:
    with hub.db.read() as session:
        rows = session.execute(select(OrderDaily.day, OrderDaily.store_id, OrderDaily.orders)).all()
    return {(day, store): n for day, store, n in rows if n}


def _actual(hub: Hub) -> dict[tuple[date, int], int]:
    with hub.db.read() as session:
        orders = session.execute(select(Order.placed_at, Order.store_id)).all()
    out: dict[tuple[date, int], int] = {}
    for placed, store in orders:
        key = (placed.astimezone(UTC).date(), store)
        out[key] = out.get(key, 0) + 1
    return out


def test_order_daily_counts_equal_the_orders(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    batch = [replace(make_order(str(n), lines=1), created_at=START + timedelta(minutes=7 * n)) for n in range(300)]
    ingest_orders(hub.db, store_id, batch, "test")  # one statement of many rows (COPY-sized on PostgreSQL)
    ingest_orders(hub.db, store_id, [replace(batch[0], updated_at=batch[0].updated_at + timedelta(hours=1))],
                  "test")  # a re-sync of a known order changes nothing
    single = replace(make_order("solo", lines=1), created_at=datetime(2026, 11, 3, 0, 0, tzinfo=UTC))
    ingest_orders(hub.db, store_id, [single], "test")
    assert _counted(hub) == _actual(hub)
    assert _counted(hub)[(date(2026, 11, 1), store_id)] == 5  # 23:30-23:58 UTC
    with hub.db.transaction() as session:
        moved, gone = session.execute(select(Order.id).order_by(Order.id).limit(2)).scalars().all()
        session.execute(update(Order).where(Order.id == moved).values(placed_at=datetime(2026, 10, 5, tzinfo=UTC)))
        session.execute(delete(OrderEvent).where(OrderEvent.order_id == gone))
        session.execute(delete(OrderLine).where(OrderLine.order_id == gone))
        session.execute(delete(Order).where(Order.id == gone))
    assert _counted(hub) == _actual(hub)
    with hub.db.read() as session:
        assert kpis.orders_placed(session, date(2026, 10, 1), date(2026, 12, 31)) == 300
        assert kpis.orders_placed(session, date(2026, 10, 5), date(2026, 10, 5), store_id) == 1
        assert kpis.orders_placed(session, date(2026, 11, 1), date(2026, 11, 1), store_id + 1) == 0
        total = session.execute(select(func.count(Order.id))).scalar_one()
    assert total == 300
