"""Benchmark: parse + validate a generated 1,000,000-row CSV feed against plain `csv.reader`.

Run: ``python bench/bench_feed_parse.py [ROWS]``. Prints rows/s of the floor (csv.reader over the
same file, nothing else) and of `parse_feed`, as OfferRows and in storage form (what the importer
asks for), their ratios, and peak RSS. The floor is measured in the same run, so the ratio is
comparable across machines.
"""

from __future__ import annotations

import csv
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

from connectors.suppliers.feeds import FeedOptions, parse_feed


def generate(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["sku", "title", "quantity", "price", "currency", "shipping", "gtin"])
        for i in range(rows):
            gtin = f"{400638133393 + i % 1000:012d}"
            total = sum(int(c) * (3 if k % 2 == 0 else 1) for k, c in enumerate(gtin.zfill(13)[:13]))
            gtin += str((10 - total % 10) % 10) if i % 3 else ""
            writer.writerow([f"SKU-{i:08d}", f"Product {i} widget", i % 500, f"{1 + i % 9999}.{i % 100:02d}",
                             "USD", "4.95" if i % 2 else "", gtin if i % 3 else ""])


def floor(path: Path) -> float:
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        count = sum(1 for _ in csv.reader(fh))
    elapsed = time.perf_counter() - start
    assert count > 0
    return elapsed


def ours(path: Path, storage_form: bool = False) -> tuple[float, int, int]:
    start = time.perf_counter()
    offers = rejects = 0
    with path.open("rb") as fh:
        for chunk in parse_feed(fh, "csv", FeedOptions(currency="USD"), storage_form=storage_form):
            offers += len(chunk.offers) + len(chunk.stored)
            rejects += len(chunk.rejects)
    return time.perf_counter() - start, offers, rejects


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feed.csv"
        generate(path, rows)
        size_mb = path.stat().st_size / 1e6
        gc.collect()
        base = min(floor(path) for _ in range(2))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        mine, offers, rejects = ours(path)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stored, stored_offers, _ = ours(path, storage_form=True)
        assert stored_offers == offers
    print(f"feed: {rows:,} rows, {size_mb:.1f} MB")
    print(f"csv.reader floor : {rows / base:12,.0f} rows/s  ({base:.2f} s)")
    print(f"parse_feed       : {rows / mine:12,.0f} rows/s  ({mine:.2f} s, {mine / base:.2f}x the floor)")
    print(f"  storage form   : {rows / stored:12,.0f} rows/s  ({stored:.2f} s, {stored / base:.2f}x the floor)")
    print(f"rows             : offers={offers:,} rejects={rejects:,}")
    print(f"peak RSS         : {rss:.0f} MB (before parse_feed: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
