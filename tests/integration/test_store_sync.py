"""Stock and prices to the store: only changes, ≤250 per call, rules from the database, on both backends."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, update

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from hub.bootstrap import Hub
from hub.db.models import AttentionItem, FxRate, Listing, Offer, Store, Supplier
from hub.services import store_sync, stores
from hub.services.listings import sync_listings


@pytest.fixture
def synced(hub: Hub) -> tuple[Hub, SandboxShopify, int, int]:
    shop = SandboxShopify(SandboxConfig(products=210, variants_per_product=3, orders=0, bucket_size=1e9,
                                        restore_rate=1e9))
    hub.connectors = ConnectorRegistry(shopify_transport=shop.transport())
    store_id = int(stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=shop.config.shop_domain, token=shop.config.access_token))["id"])
    with hub.db.transaction() as session:
        supplier = Supplier(code="acme", name="Acme", kind="feed", currency="USD", config={})
        session.add(supplier)
        session.flush()
        session.execute(Offer.__table__.insert(), [
            {"supplier_id": supplier.id, "supplier_sku": v.sku, "cost": Decimal("4.00"),
             "shipping_cost": Decimal("1.00"), "currency": "USD", "stock": 7, "reserved": 0, "countries": [],
             "active": True, "changed": True} for v in shop.data.variants])
        supplier_id = supplier.id
    sync_listings(hub, store_id)
    return hub, shop, store_id, supplier_id


def _inventory_calls(shop: SandboxShopify) -> int:
    return shop.stats["op:InventorySetQuantities"] + shop.stats["op:InventorySetQuantitiesIdempotent"]


def _store_quantity(shop: SandboxShopify, sku: str) -> int:
    variant = next(v for v in shop.data.variants if v.sku == sku)
    location = shop.data.locations[0]
    return shop.data.inventory[(variant.inventory_item_id, location.id)]


def test_only_changes_are_pushed_in_batches_of_250(synced) -> None:  # type: ignore[no-untyped-def]
    hub, shop, store_id, _ = synced
    first = store_sync.push_inventory(hub, store_id)
    assert first == {"listings": 630, "changed": 630, "calls": 3}
    assert _inventory_calls(shop) == 3
    assert all(_store_quantity(shop, v.sku) == 7 for v in shop.data.variants)
    assert store_sync.push_inventory(hub, store_id)["calls"] == 0 and _inventory_calls(shop) == 3

    sku = shop.data.variants[5].sku
    with hub.db.transaction() as session:
        session.execute(update(Offer).where(Offer.supplier_sku == sku).values(stock=20, reserved=3))
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "sync": {**store.settings["sync"], "safety_buffer": 2}}
    result = store_sync.push_inventory(hub, store_id)
    assert result["calls"] == 3  # the buffer changed every listing: 630 → 3 calls again
    assert _store_quantity(shop, sku) == 20 - 3 - 2 and _store_quantity(shop, shop.data.variants[0].sku) == 5
    with hub.db.transaction() as session:
        session.execute(update(Supplier).values(active=False))
    store_sync.push_inventory(hub, store_id)
    assert all(_store_quantity(shop, v.sku) == 0 for v in shop.data.variants)


def test_prices_follow_rules_and_big_moves_wait_for_approval(synced) -> None:  # type: ignore[no-untyped-def]
    hub, shop, store_id, _ = synced
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {"markup_percent": "100", "rounding": ".99",
                                                        "tolerance_percent": "1000"}}
    result = store_sync.push_prices(hub, store_id)
    assert result["changed"] == 630 and result["calls"] == 210  # one call per product
    assert {v.price for v in shop.data.variants} == {Decimal("10.99")}  # (4 + 1) × 2 → .99
    assert store_sync.push_prices(hub, store_id)["changed"] == 0
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {"markup_percent": "300", "rounding": "whole",
                                                        "listings": {}, "tolerance_percent": "20"}}
    held = store_sync.push_prices(hub, store_id)
    assert held == {"changed": 0, "awaiting_approval": 630, "calls": 0}
    with hub.db.transaction() as session:
        item = session.execute(select(AttentionItem).where(AttentionItem.kind == "price_approval")
                               .limit(1)).scalar_one()
        listing = session.get(Listing, item.details["listing_id"])
        assert listing is not None
        variant_id = listing.variant_id
    store_sync.approve_price(hub, item.id)
    assert store_sync.push_prices(hub, store_id)["changed"] == 1
    assert next(v for v in shop.data.variants if str(v.id) == variant_id).price == Decimal("20")


def test_a_missing_fx_rate_is_flagged_never_guessed(synced) -> None:  # type: ignore[no-untyped-def]
    hub, shop, store_id, _ = synced
    with hub.db.transaction() as session:
        session.execute(update(Offer).values(currency="EUR"))
        store = session.get(Store, store_id)
        assert store is not None
        store.settings = {**store.settings, "pricing": {"markup_percent": "50", "tolerance_percent": "1000"}}
    result = store_sync.push_prices(hub, store_id)
    assert result["changed"] == 0
    with hub.db.transaction() as session:
        assert session.execute(select(AttentionItem).where(AttentionItem.kind == "no_fx_rate")).first()
        from datetime import date

        session.add(FxRate(day=date(2020, 1, 1), base="EUR", quote="USD", rate=Decimal("1.10")))
    assert store_sync.push_prices(hub, store_id)["changed"] == 630
    assert {v.price for v in shop.data.variants} == {Decimal("8.99")}  # 5 EUR × 1.10 × 1.5 = 8.25 → 8.99


def test_a_feed_change_reaches_the_store_at_once(synced) -> None:  # type: ignore[no-untyped-def]
    import io

    from hub.services.feeds import import_feed

    hub, shop, store_id, _ = synced
    store_sync.push_inventory(hub, store_id)
    sku = shop.data.variants[10].sku
    feed = f"sku,cost,shipping,quantity,currency\n{sku},4.00,1.00,42,USD\n".encode()
    summary = import_feed(hub, "acme", io.BytesIO(feed), mode="delta", fmt="csv", source="push")
    assert summary.changed == 1
    assert _store_quantity(shop, sku) == 42
    with hub.db.transaction() as session:
        assert not session.execute(select(Offer.id).where(Offer.changed.is_(True))).first()
