"""Pull every order from the sandbox shop at Shopify's default budget and compare the wall time
with the floor the cost budget allows.

    python bench/bench_shopify_pull.py            # 10,000 orders of 3 lines (about an hour)
    python bench/bench_shopify_pull.py --orders 500

Floor: the bucket starts full (B points) and refills at R points/s, so pulling orders that cost C
points in total cannot take less than (C - B) / R seconds. The client paces itself on
`extensions.cost`; it should never be THROTTLED and finish close to that floor.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.shopify import documents
from connectors.shopify.budget import CostBudget
from connectors.shopify.client import ShopifyClient
from connectors.shopify.operations import max_page_size
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3, help="lines per order")
    parser.add_argument(
        "--page-size", type=int, default=None, help="orders per page (default: largest under 1,000 points)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)

    config = SandboxConfig(orders=args.orders, lines_per_order=args.lines)
    seeded = time.perf_counter()
    sandbox = SandboxShopify(config)
    print(f"seeded {args.orders} orders x {args.lines} lines in {time.perf_counter() - seeded:.1f}s")
    client = ShopifyClient(
        config.shop_domain,
        config.access_token,
        transport=sandbox.transport(),
        base_url="http://sandbox.local",
        budget=CostBudget(),
    )
    page = args.page_size or max_page_size(documents.load("Orders"), {"linesFirst": args.lines})
    print(f"page size {page} orders, {args.lines} lines each per query")

    started = time.perf_counter()
    count = lines = 0
    for order in client.orders(page_size=page, lines_per_order=args.lines):
        count += 1
        lines += len(order.lines)
        if count % 1000 == 0:
            print(f"  {count} orders after {time.perf_counter() - started:.0f}s", flush=True)
    wall = time.perf_counter() - started

    points = sandbox.stats["points"]
    floor = max(0.0, (points - config.bucket_size) / config.restore_rate)
    print(f"orders fetched:      {count} ({lines} lines)")
    print(f"requests:            {sandbox.stats['requests']}")
    print(f"THROTTLED responses: {sandbox.stats['throttled']}")
    print(f"points used:         {points}")
    print(f"wall time:           {wall:.1f}s")
    print(
        f"budget floor:        {floor:.1f}s  "
        f"((points - {config.bucket_size:g}) / {config.restore_rate:g} per s)"
    )
    print(
        f"ratio wall/floor:    {wall / floor:.3f}"
        if floor
        else "ratio wall/floor:    n/a (within the bucket)"
    )
    ok = count == args.orders and sandbox.stats["throttled"] == 0 and (not floor or wall / floor <= 1.15)
    print("RESULT:", "ok" if ok else "NOT OK")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
