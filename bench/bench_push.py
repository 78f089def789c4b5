"""Stock sync to the store: 100,000 listings, then 1% of offers changed.

Against the sandbox shop at Shopify's default bucket (2,000 points, 100 per second). Prints the
inventory mutations sent (must be exactly ceil(changed / 250)), THROTTLED answers (must be 0),
points used, and the wall time against the minimum the cost budget allows.

    python bench/bench_push.py [--listings 100000] [--changed-share 0.01]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, update

from bench.common import Timer, peak_rss_mb, temp_database
from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.models import Listing, Mapping, Offer, Supplier
from hub.services import store_sync, stores


def calls(shop: SandboxShopify) -> int:
    return shop.stats["op:InventorySetQuantities"] + shop.stats["op:InventorySetQuantitiesIdempotent"]


def phase(name: str, shop: SandboxShopify, hub: Hub, store_id: int, expected_changes: int) -> None:
    before_calls, before_points, before_throttled = calls(shop), shop.stats["points"], shop.stats["throttled"]
    available = shop.bucket.available()
    with Timer() as timer:
        result = store_sync.push_inventory(hub, store_id)
    sent = calls(shop) - before_calls
    points = shop.stats["points"] - before_points
    minimum = max(0.0, points - available) / shop.config.restore_rate
    expected_calls = math.ceil(expected_changes / 250)
    print(f"{name}: {result['changed']:,} quantities changed, {sent} inventorySetQuantities calls "
          f"(ceil({expected_changes:,}/250) = {expected_calls}: {'exact' if sent == expected_calls else 'WRONG'}), "
          f"{shop.stats['throttled'] - before_throttled} THROTTLED, {points:,.0f} points, "
          f"wall {timer.seconds:.2f} s vs budget minimum {minimum:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--changed-share", type=float, default=0.01)
    args = parser.parse_args()
    products = math.ceil(args.listings / 2)
    with Timer() as seeding:
        shop = SandboxShopify(SandboxConfig(products=products, variants_per_product=2, orders=0, locations=1))
    variants = shop.data.variants[: args.listings]
    print(f"sandbox shop with {len(variants):,} variants seeded in {seeding.seconds:.1f} s")
    with temp_database("sqlite") as db, tempfile.TemporaryDirectory() as var:
        assert db is not None
        settings = Settings(_env_file=None, var_dir=Path(var), admin_token="bench")  # type: ignore[call-arg]
        hub = Hub(settings=settings, db=db, cipher=TokenCipher(settings.fernet_key()),
                  connectors=ConnectorRegistry(shopify_transport=shop.transport()))
        store_id = int(stores.add_shopify_store(hub, stores.NewShopifyStore(
            shop=shop.config.shop_domain, token=shop.config.access_token, verify=False, currency="USD"))["id"])
        rng = random.Random(7)
        with db.transaction() as session:
            supplier = Supplier(code="bench", name="Bench", kind="feed", currency="USD", config={})
            session.add(supplier)
            session.flush()
            session.execute(insert(Offer), [
                {"supplier_id": supplier.id, "supplier_sku": v.sku, "cost": Decimal("4.00"),
                 "shipping_cost": Decimal("1.00"), "currency": "USD", "stock": rng.randint(1, 500), "reserved": 0,
                 "countries": [], "active": True, "changed": False} for v in variants])
            session.execute(insert(Listing), [
                {"store_id": store_id, "variant_id": str(v.id), "product_id": str(v.product_id),
                 "inventory_item_id": str(v.inventory_item_id), "sku": v.sku, "price": v.price, "currency": "USD",
                 "active": True} for v in variants])
            offer_ids = dict(session.execute(select(Offer.supplier_sku, Offer.id)).all())
            session.execute(insert(Mapping), [
                {"listing_id": listing_id, "offer_id": offer_ids[sku], "priority": 0, "quantity": 1, "source": "sku"}
                for listing_id, sku in session.execute(select(Listing.id, Listing.sku)).all()])
        with Timer() as planning:
            planned = store_sync.plan(hub, store_id).summary()
        print(f"plan of {planned['listings']:,} listings in {planning.seconds:.2f} s")
        phase("first push (every listing)", shop, hub, store_id, len(variants))
        phase("second push (nothing changed)", shop, hub, store_id, 0)
        changed = rng.sample(sorted(offer_ids.values()), int(len(variants) * args.changed_share))
        with db.transaction() as session:
            session.execute(update(Offer), [{"id": offer_id, "stock": 1000 + i} for i, offer_id in enumerate(changed)])
        time.sleep(0)  # same bucket, no pause: the push must pace itself
        phase(f"after {len(changed):,} offers changed", shop, hub, store_id, len(changed))
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
