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


def test_an_order_the_mapper_refuses_is_listed_and_the_pull_moves_past_it(connected: tuple[Hub, int],
                                                                         sandbox: SandboxShopify) -> None:
    """One garbled order (a negative quantity) must not jam the pull: the others are taken, the
    cursor passes it, and it waits on the attention list — once, however often it is re-read."""
    from hub.db.models import AttentionItem

    hub, store_id = connected
    records = sorted(sandbox.data.orders_by_id.values(), key=lambda o: o.updated_at)
    bad = records[len(records) // 2]
    bad.lines[0].quantity = -5
    result = pull_orders(hub, store_id, page_size=7)
    assert result.rejected == 1 and result.created == len(records) - 1
    assert read_cursor(hub, store_id) == records[-1].updated_at
    again = pull_orders(hub, store_id, since=utcnow() - timedelta(days=3650))
    assert again.rejected == 1 and again.created == 0
    with hub.db.transaction() as session:
        items = session.execute(select(AttentionItem).where(AttentionItem.kind == "order_rejected")).scalars().all()
        stored = session.execute(select(Order.external_id)).scalars().all()
    assert len(items) == 1 and str(bad.id) in items[0].reason and "quantity" in items[0].reason
    assert str(bad.id) not in stored
