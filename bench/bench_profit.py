"""Profit by day over 1,000,000 orders' ledger rows, on SQLite and PostgreSQL: p50 / p95 latency.

Orders and their ledger rows (two sales, shipping charged, a payment fee, supplier cost and
supplier shipping: six rows an order) are generated in the database with set-based INSERT … SELECT
over a number series, spread over one year. Then the profit query the API runs
(`hub.services.profit.profit_rows`, grouped by day) is timed over a 30-day range and the whole year.

    python bench/bench_profit.py [--orders 1000000] [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, text

from bench.common import Timer, temp_database
from hub.db.engine import Database
from hub.services.profit import profit_rows

SCALE = 10_000  # Money is stored as integer 1/10,000 units

SERIES = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) SELECT i FROM n",
    "postgresql": "SELECT i FROM generate_series(1, :count) AS i",
}
DAY = {
    "sqlite": "date('2026-01-01', '+' || (i % 365) || ' days')",
    "postgresql": "(DATE '2026-01-01' + (i % 365))",
}
AT = {
    "sqlite": "datetime('2026-01-01', '+' || (i % 365) || ' days')",
    "postgresql": "(TIMESTAMPTZ '2026-01-01 00:00:00+00' + (i % 365) * INTERVAL '1 day')",
}

# (source_ref suffix, kind, amount in 1/10,000 units as an SQL expression of i)
LEDGER_ROWS = [
    ("l1:sale", "sale", f"(1000 + (i % 50) * 100) * {SCALE // 100}"),
    ("l2:sale", "sale", f"(500 + (i % 30) * 100) * {SCALE // 100}"),
    ("shipping", "shipping", f"490 * {SCALE // 100}"),
    ("fee", "payment_fee", f"-(30 + (i % 40)) * {SCALE // 100}"),
    ("supplier_cost", "supplier_cost", f"-(600 + (i % 45) * 50) * {SCALE // 100}"),
    ("supplier_shipping", "supplier_shipping", f"-(300 + (i % 7) * 10) * {SCALE // 100}"),
]


BACKFILL = ("INSERT INTO ledger_daily (booked_on, store_id, currency, kind, amount) "
            "SELECT booked_on, COALESCE(store_id, 0), currency, kind, SUM(amount) FROM ledger_entries "
            "GROUP BY booked_on, COALESCE(store_id, 0), currency, kind")


def _triggers_off(conn: Connection, dialect: str) -> list[str]:
    if dialect == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        return []
    saved = [sql for (sql,) in conn.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries'"))]
    for (name,) in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_entries'")).all():
        conn.execute(text(f"DROP TRIGGER {name}"))
    return saved


def _triggers_on(conn: Connection, dialect: str, saved: list[str]) -> None:
    if dialect == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = origin"))
    for sql in saved:
        conn.execute(text(sql))


def load(database: Database, orders: int) -> float:
    dialect = database.dialect
    series, day, at = SERIES[dialect], DAY[dialect], AT[dialect]
    with Timer() as timer, database.engine.begin() as conn:
        conn.execute(text("INSERT INTO stores (platform, name, shop_domain, currency, settings, created_at, "
                          "updated_at, status, api_version) VALUES ('shopify', 'Bench', 'bench.myshopify.com', "
                          "'USD', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'active', '2026-10')"))
        conn.execute(text(
            "INSERT INTO orders (id, store_id, external_id, name, currency, status, financial_status, "
            "fulfillment_status, subtotal_price, total_discounts, total_shipping, total_tax, total_price, "
            "placed_at, remote_updated_at, fingerprint, created_at, updated_at) "
            f"SELECT i, 1, CAST(i AS VARCHAR(20)), 'B' || CAST(i AS VARCHAR(20)), 'USD', 'routed', 'paid', "
            f"'unfulfilled', 0, 0, 0, 0, 0, {at}, {at}, 'x', {at}, {at} FROM ({series}) AS s"),
            {"count": orders})
        # Triggers off during the bulk load, then the daily summary is built set-based exactly as the
        # migration backfills it (row triggers over 6M rows would time the trigger, not the query).
        saved = _triggers_off(conn, dialect)
        for suffix, kind, amount in LEDGER_ROWS:
            conn.execute(text(
                "INSERT INTO ledger_entries (source_ref, kind, store_id, order_id, amount, currency, estimated, "
                "occurred_at, booked_on, created_at) "
                f"SELECT 'order:' || CAST(i AS VARCHAR(20)) || '\\:{suffix}', '{kind}', 1, i, {amount}, 'USD', "
                f"false, {at}, {day}, {at} FROM ({series}) AS s"), {"count": orders})
        conn.execute(text(BACKFILL))
        _triggers_on(conn, dialect, saved)
    with database.engine.connect() as conn:
        if dialect == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return timer.seconds


def measure(database: Database, start: date, end: date, runs: int) -> tuple[float, float, int]:
    timings: list[float] = []
    rows = 0
    for _ in range(runs + 2):
        with database.transaction() as session, Timer() as timer:
            rows = len(profit_rows(session, start, end, "day", "USD"))
        timings.append(timer.seconds * 1000)
    timings = sorted(timings[2:])  # the first two runs warm the cache
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95, rows


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
            print(f"  loaded {args.orders:,} orders, {args.orders * len(LEDGER_ROWS):,} ledger rows in {seconds:.1f} s")
            for label, (start, end) in ranges.items():
                p50, p95, rows = measure(database, start, end, args.runs)
                print(f"  profit by day, {label} ({rows} rows): p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                      f"over {args.runs} runs")


if __name__ == "__main__":
    main()
