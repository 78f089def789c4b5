"""Scheduled pull: exactly one order per external id however often a window is read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from connectors.shopify.sandbox import SandboxShopify
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import Order, OrderLine
from hub.services.pull import pull_orders, read_cursor, reconcile_orders


def _orders(hub: Hub) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(Order)).scalar_one())


def test_pulling_the_same_window_twice_keeps_one_order_each(connected: tuple[Hub, int],
                                                            sandbox: SandboxShopify) -> None:
    hub, store_id = connected
    expected = len(sandbox.data.orders_by_id)
    first = pull_orders(hub, store_id, page_size=7)
    assert first.created == expected and _orders(hub) == expected
    since = utcnow() - timedelta(days=365)
    second = pull_orders(hub, store_id, since=since, page_size=13)
    assert (second.created, second.updated, second.unchanged) == (0, 0, expected)
    assert _orders(hub) == expected
    lines = sum(len(o.lines) for o in sandbox.data.orders_by_id.values())
    with hub.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(OrderLine)).scalar_one() == lines


def test_cursor_moves_with_committed_batches_and_overlap_rereads(connected: tuple[Hub, int],
                                                                 sandbox: SandboxShopify) -> None:
    hub, store_id = connected
    pull_orders(hub, store_id)
    cursor = read_cursor(hub, store_id)
    newest = max(o.updated_at for o in sandbox.data.orders_by_id.values())
    assert cursor == newest
    sandbox.create_orders(3)
    result = pull_orders(hub, store_id)
    assert result.created == 3
    assert read_cursor(hub, store_id) > cursor  # type: ignore[operator]
    assert reconcile_orders(hub, store_id).created == 0
