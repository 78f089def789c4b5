"""Attention items that no longer hold are resolved by the job that ended their cause, with a
timeline entry on the order (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from hub.bootstrap import Hub
from hub.db.models import AttentionItem, Offer, Order, OrderEvent, Store
from hub.domain.orders import OrderLineIn
from hub.services import anomalies, outbox, placement, store_sync  # noqa: F401  (placement: its handler)
from hub.services.intake import ingest_orders
from hub.services.routing import route_pending
from tests import catalogue_builders as cb
from tests.factories import make_order
from tests.fakes import FakeRegistry, FakeSupplierAccount
from tests.integration.test_store_sync import synced  # noqa: F401  (a fixture: a synced sandbox shop)


def _order(hub: Hub, store_id: int, external_id: str, *lines: tuple[str, int]) -> int:
    order_lines = tuple(OrderLineIn(external_id=f"{external_id}-{i}", sku=sku, title=sku, quantity=qty,
                                    unit_price=Decimal("40.00"), variant_id=f"v-{sku}")
                        for i, (sku, qty) in enumerate(lines))
    ingest_orders(hub.db, store_id, [replace(make_order(external_id), lines=order_lines)], "test")
    with hub.db.transaction() as session:
        return int(session.execute(select(Order.id).where(Order.external_id == external_id)).scalar_one())


def _items(hub: Hub, kind: str) -> list[AttentionItem]:
    with hub.db.transaction() as session:
        return list(session.execute(select(AttentionItem).where(AttentionItem.kind == kind)).scalars())


def _timeline(hub: Hub, order_id: int) -> list[tuple[str, str]]:
    with hub.db.transaction() as session:
        return [(e.kind, e.message) for e in session.execute(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)).scalars()]


def test_an_unsent_paid_order_is_resolved_when_it_goes_out(hub: Hub) -> None:
    account = FakeSupplierAccount()
    hub.connectors = FakeRegistry({"alpha": account})
    store_id, alpha = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "10.00", stock=0))
    order_id = _order(hub, store_id, "1", ("MUG", 1))
    route_pending(hub)  # no stock: nothing goes out
    anomalies.reconcile(hub.db, tolerance_pct=Decimal("5"), grace=timedelta(minutes=60), reporting_currency="USD")
    [item] = _items(hub, "unsent_paid_order")
    assert item.resolved_at is None and item.order_id == order_id

    # The stock comes back and the order is routed again (as a refused supplier order would make it).
    with hub.db.transaction() as session:
        session.execute(update(Offer).values(stock=5))
        session.execute(update(Order).where(Order.id == order_id).values(status="new"))
    route_pending(hub)
    outbox.dispatch(hub)
    assert list(account.orders)  # it reached the supplier

    [item] = _items(hub, "unsent_paid_order")
    assert item.resolved_at is not None and item.details["resolved_by"].startswith("sent to alpha")
    timeline = _timeline(hub, order_id)
    kinds = [kind for kind, _ in timeline]
    assert kinds[-2:] == ["supplier_order_placed", "attention_resolved"]
    assert "was never sent to a supplier" in timeline[-1][1]
    # The out-of-stock item of its line was resolved when the line got routed.
    [stock_item] = _items(hub, "out_of_stock")
    assert stock_item.resolved_at is not None
    assert kinds.count("attention_resolved") == 2

    # The reconcile job does not raise it again, and a second pass changes nothing.
    anomalies.reconcile(hub.db, tolerance_pct=Decimal("5"), grace=timedelta(minutes=60), reporting_currency="USD")
    assert [i.resolved_at is not None for i in _items(hub, "unsent_paid_order")] == [True]


def test_a_line_out_of_stock_is_resolved_when_a_refusal_reroutes_it_and_the_stock_is_back(hub: Hub) -> None:
    account = FakeSupplierAccount(reject_all="address not served")
    hub.connectors = FakeRegistry({"alpha": account})
    store_id, alpha = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "CAP", "v-CAP", cb.offer(hub.db, alpha, "CAP", "4.00", stock=10))
    mug = cb.offer(hub.db, alpha, "MUG", "10.00", stock=1)
    cb.listing(hub.db, store_id, "MUG", "v-MUG", mug)
    order_id = _order(hub, store_id, "2", ("CAP", 1), ("MUG", 2))
    assert route_pending(hub) == {"partially_routed": 1}
    [item] = _items(hub, "out_of_stock")
    assert item.resolved_at is None

    with hub.db.transaction() as session:  # a feed brings the mugs back
        session.execute(update(Offer).where(Offer.id == mug).values(stock=10))
    outbox.dispatch(hub)  # the supplier refuses the caps: the order waits for routing again
    account.reject_all = None
    route_pending(hub)

    [item] = _items(hub, "out_of_stock")
    assert item.resolved_at is not None and item.details["resolved_by"] == "the line is routed now"
    resolved = [message for kind, message in _timeline(hub, order_id) if kind == "attention_resolved"]
    assert len(resolved) == 1 and "MUG" in resolved[0]
    # The refusal's own item stays: a person should still know the supplier said no.
    assert [i.resolved_at for i in _items(hub, "supplier_rejected")] == [None]


def test_a_price_that_no_longer_waits_leaves_the_list(synced) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    hub, _shop, store_id, _ = synced

    def pricing(markup: str, tolerance: str = "20") -> None:
        with hub.db.transaction() as session:
            store = session.get(Store, store_id)
            assert store is not None
            store.settings = {**store.settings, "pricing": {"markup_percent": markup, "rounding": "whole",
                                                            "tolerance_percent": tolerance}}

    pricing("100", tolerance="1000")
    assert store_sync.push_prices(hub, store_id)["changed"] == 630  # today's prices are live
    pricing("300")
    assert store_sync.push_prices(hub, store_id)["awaiting_approval"] == 630
    waiting = _items(hub, "price_approval")
    assert len(waiting) == 630 and all(i.resolved_at is None for i in waiting)
    approved = waiting[0]
    store_sync.approve_price(hub, approved.id)
    pricing("100")  # the cost rule moves back: nothing waits any more
    assert store_sync.push_prices(hub, store_id)["awaiting_approval"] == 0
    after = {i.id: i for i in _items(hub, "price_approval")}
    assert all(i.resolved_at is not None for i in after.values())
    assert after[approved.id].details.get("approved") is True  # a person's approval is kept as it was
    assert {i.details.get("resolved_by") for i in after.values() if i.id != approved.id} == {
        "the price no longer waits for approval"}
