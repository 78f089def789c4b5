"""Prices held for approval, decided by a person, on both backends with the Shopify sandbox as the store:
an approval is pushed by the outbox (the store sync), a rejection keeps the store's price and is
not asked again for the same proposal, and "all" decides every waiting price in one go."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from hub.bootstrap import Hub
from hub.db.models import AttentionItem, Offer, OutboxMessage, Store, Supplier
from hub.errors import Conflict
from hub.services import catalogue, outbox, store_sync, stores
from hub.services.listings import sync_listings
from jobs.definitions import register_all
from jobs.registry import registry
from jobs.runner import run_job


@pytest.fixture
def shop_with_waiting_prices(hub: Hub) -> tuple[Hub, SandboxShopify, int]:
    shop = SandboxShopify(SandboxConfig(products=3, variants_per_product=1, orders=0, bucket_size=1e9,
                                        restore_rate=1e9))
    hub.connectors = ConnectorRegistry(shopify_transport=shop.transport())
    store_id = int(stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=shop.config.shop_domain, token=shop.config.access_token))["id"])
    with hub.db.transaction() as session:
        supplier = Supplier(code="acme", name="Acme", kind="feed", currency="USD", config={})
        session.add(supplier)
        session.flush()
        session.execute(Offer.__table__.insert(), [
            {"supplier_id": supplier.id, "supplier_sku": v.sku, "cost": Decimal("4.00"), "shipping_cost": Decimal(1),
             "currency": "USD", "stock": 9, "reserved": 0, "countries": [], "active": True, "changed": True}
            for v in shop.data.variants])
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {"markup_percent": "100", "rounding": ".99",
                                                        "tolerance_percent": "1000"}}
    sync_listings(hub, store_id)
    assert store_sync.push_prices(hub, store_id)["changed"] == 3  # all at 10.99
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {**store.settings["pricing"], "tolerance_percent": "20"}}
        session.execute(update(Offer).values(cost=Decimal("10.00")))  # 22.99 proposed: over 20 %
    assert store_sync.push_prices(hub, store_id)["awaiting_approval"] == 3
    return hub, shop, store_id


def _items(hub: Hub) -> list[AttentionItem]:
    with hub.db.read() as session:
        return list(session.execute(select(AttentionItem).where(AttentionItem.kind == "price_approval")
                                    .order_by(AttentionItem.id)).scalars())


def test_approved_is_pushed_by_the_outbox_rejected_stays(shop_with_waiting_prices) -> None:  # type: ignore[no-untyped-def]
    hub, shop, store_id = shop_with_waiting_prices
    first, second, third = _items(hub)
    store_sync.approve_price(hub, first.id)
    store_sync.approve_price(hub, first.id)  # twice: nothing more
    store_sync.reject_price(hub, second.id)
    with pytest.raises(Conflict):
        store_sync.approve_price(hub, second.id)
    assert outbox.dispatch(hub) == {"done": 1}  # one push for the approval
    prices = {v.sku: v.price for v in shop.data.variants}
    skus = {p.item_id: p.sku for p in catalogue.prices(hub.db, waiting=False)}
    assert prices[skus[first.id]] == Decimal("22.99") and prices[skus[second.id]] == Decimal("10.99")
    assert {p.item_id: p.state for p in catalogue.prices(hub.db, waiting=False)} == {
        first.id: "pushed", second.id: "rejected"}

    # The next store sync neither pushes the rejected price nor asks for it again.
    assert store_sync.push_prices(hub, store_id)["changed"] == 0
    assert [p.item_id for p in catalogue.prices(hub.db, waiting=True)] == [third.id]
    assert store_sync.decide_all(hub, approved=True, store_id=store_id) == 1
    register_all(hub.settings)
    with hub.db.read() as session:
        assert session.execute(select(OutboxMessage.kind).where(OutboxMessage.state == "pending")).scalars().all() == [
            "store.push_prices"]
    assert run_job(hub, registry.get("store.push_prices"), store_id).counts["changed"] == 1  # the job path too
    assert outbox.dispatch(hub) == {"done": 1}  # the message finds nothing left to send
    assert sorted(v.price for v in shop.data.variants) == [Decimal("10.99"), Decimal("22.99"), Decimal("22.99")]
    assert run_job(hub, registry.get("stock.cover"), store_id).counts == {"running_out": 0, "flagged": 0,
                                                                          "recovered": 0}
