"""The KPI summary (`hub.services.kpis.compare`: the period and the one before it) over 1,000,000
orders and a year of other costs, on SQLite and PostgreSQL: p50 / p95 latency.

Orders and ledger rows are loaded as `bench_profit.py` loads them; other costs are a year of ad
spend (5 campaigns a day, one in EUR with a daily rate) and three recurring costs.

    python bench/bench_kpis.py [--orders 1000000] [--runs 30] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_profit import load
from bench.common import Timer, temp_database
from hub.db.engine import Database
from hub.db.models import FxRate
from hub.domain.expenses import validate
from hub.services import expenses, kpis


def other_costs(database: Database) -> int:
    first = date(2025, 12, 1)
    items = [validate("ad_spend", first + timedelta(days=n), f"{40 + c}.50", "EUR" if c == 0 else "USD",
                      platform="facebook" if c % 2 else "google", name=f"campaign {c}")
             for n in range(400) for c in range(5)]
    items += [validate("recurring", date(2025, 6, 1), amount, "USD", name=name)
              for name, amount in (("Store plan", "39"), ("Reviews app", "19.99"), ("Email app", "45"))]
    expenses.record(database, items)
    with database.transaction() as session:
        session.add_all(FxRate(day=first + timedelta(days=n), base="EUR", quote="USD", rate=Decimal("1.08"))
                        for n in range(400))
    return len(items)


def measure(database: Database, start: date, end: date, runs: int) -> tuple[float, float, kpis.Summary]:
    timings: list[float] = []
    result = None
    for _ in range(runs + 2):
        with database.read() as session, Timer() as timer:
            result = kpis.compare(session, start, end, "USD")
        timings.append(timer.seconds * 1000)
    assert result is not None
    timings = sorted(timings[2:])  # the first two runs warm the cache
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, result.current


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    ranges = {"30 days": (date(2026, 3, 1), date(2026, 3, 30)), "365 days": (date(2026, 1, 1), date(2026, 12, 31))}
    for backend in args.backends.split(","):
        print(f"{backend}:")
        with temp_database(backend) as database:
            if database is None:
                continue
            seconds = load(database, args.orders)
            costs = other_costs(database)
            print(f"  loaded {args.orders:,} orders and {costs:,} other costs in {seconds:.1f} s (orders)")
            for label, (start, end) in ranges.items():
                p50, p95, summary = measure(database, start, end, args.runs)
                print(f"  summary and previous period, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over "
                      f"{args.runs} runs ({summary.orders:,} orders, net profit {summary.net_profit} USD, "
                      f"ROAS {summary.roas})")


if __name__ == "__main__":
    main()
