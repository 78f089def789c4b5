"""Order intake throughput: pull → normalize → persist from the sandbox, rate limit off.

Measures the hub's own cost (not Shopify's budget): the sandbox's cost bucket is made
effectively infinite. Prints orders/s for the whole path, and for its two halves — fetching and
mapping the GraphQL pages, and persisting — on SQLite and PostgreSQL.

    python bench/bench_intake.py [--orders 10000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Timer, peak_rss_mb, temp_database
from connectors.registry import ConnectorRegistry
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.shopify.sandbox.data import EPOCH
from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.services import stores
from hub.services.intake import ingest_orders
from hub.services.pull import pull_orders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    with Timer() as seeding:
        sandbox = SandboxShopify(SandboxConfig(orders=args.orders, lines_per_order=3, bucket_size=1e12,
                                               restore_rate=1e12, max_query_cost=10**9))
    print(f"sandbox seeded with {args.orders} orders x 3 lines in {seeding.seconds:.1f} s")
    since = EPOCH.replace(year=2025)
    with ShopifyClient(sandbox.config.shop_domain, sandbox.config.access_token,
                       transport=sandbox.transport()) as client, Timer() as fetching:
        orders = list(client.orders(updated_since=since, page_size=250))
    assert len(orders) == args.orders, len(orders)
    fetch_rate = args.orders / fetching.seconds
    print(f"fetch + map (sandbox in-process): {fetch_rate:,.0f} orders/s ({fetching.seconds:.2f} s)")
    settings = Settings(_env_file=None, admin_token="bench")  # type: ignore[call-arg]
    for backend in ("sqlite", "postgresql"):
        print(f"\n[{backend}]")
        for phase in ("persist", "end-to-end"):
            with temp_database(backend) as db:
                if db is None:
                    break
                hub = Hub(settings=settings, db=db, cipher=TokenCipher(settings.fernet_key()),
                          connectors=ConnectorRegistry(shopify_transport=sandbox.transport()))
                view = stores.add_shopify_store(hub, stores.NewShopifyStore(
                    shop=sandbox.config.shop_domain, token=sandbox.config.access_token, verify=False,
                    currency="USD"))
                with Timer() as timer:
                    if phase == "persist":
                        for start in range(0, len(orders), 250):
                            ingest_orders(db, view["id"], orders[start:start + 250], "bench")
                    else:
                        result = pull_orders(hub, view["id"], since=since, page_size=250)
                        assert result.created == args.orders, result
                rate = args.orders / timer.seconds
                print(f"  {phase:<11} {rate:>9,.0f} orders/s  ({timer.seconds:.2f} s)")
                if phase == "persist":
                    with Timer() as again:
                        for start in range(0, len(orders), 250):
                            ingest_orders(db, view["id"], orders[start:start + 250], "bench")
                    print(f"  {'re-read':<11} {args.orders / again.seconds:>9,.0f} orders/s  "
                          f"(all unchanged, {again.seconds:.2f} s)")
    print(f"\npeak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
