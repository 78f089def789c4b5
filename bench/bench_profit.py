"""Profit over 1,000,000 orders on SQLite and PostgreSQL: what `/profit` reads, p50 / p95 latency.

Orders and their ledger rows (two sales, shipping charged, a payment fee, supplier cost and
supplier shipping: six rows an order), their allocation to the two lines and their suppliers
(`ledger_parts`, ten parts an order) and the daily summaries (`ledger_part_daily` per product,
`ledger_supplier_daily` without) are generated in
the database with set-based INSERT … SELECT over a number series, spread over one year, on two
stores (one in EUR: converted at the day's rate). Timed over 30 days and the whole year:

- `page`: what the /profit page reads — profit by day for the range and for the previous range of
  the same length (chart, KPI changes), by product, by supplier and by store
  (`hub.services.profit.profit_rows`, conversion, names and rounding included);
- `product`: the product table alone;
- floor: the same range's summary rows merely counted (`SELECT count(*)`), measured in the same run.

    python bench/bench_profit.py [--orders 1000000] [--runs 30] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from bench.common import Timer, temp_database
from hub.db.engine import Database
from hub.domain.ledger import PROFIT_BUCKETS
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


SKUS = 300  # products; each SKU is fulfilled by one supplier (1 + n % 5)

# (line, kind, entry suffix index in LEDGER_ROWS, amount of the part as SQL of i): the allocation
# of each entry to line 1 and line 2, halves adding up to the entry exactly.
PARTS = [
    (1, "sale", 0, f"(1000 + (i % 50) * 100) * {SCALE // 100}"),
    (2, "sale", 1, f"(500 + (i % 30) * 100) * {SCALE // 100}"),
    (1, "shipping", 2, f"245 * {SCALE // 100}"),
    (2, "shipping", 2, f"245 * {SCALE // 100}"),
    (1, "payment_fee", 3, f"-((30 + (i % 40)) / 2) * {SCALE // 100}"),
    (2, "payment_fee", 3, f"-((30 + (i % 40)) - (30 + (i % 40)) / 2) * {SCALE // 100}"),
    (1, "supplier_cost", 4, f"-(300 + (i % 45) * 25) * {SCALE // 100}"),
    (2, "supplier_cost", 4, f"-(300 + (i % 45) * 25) * {SCALE // 100}"),
    (1, "supplier_shipping", 5, f"-(150 + (i % 7) * 5) * {SCALE // 100}"),
    (2, "supplier_shipping", 5, f"-(150 + (i % 7) * 5) * {SCALE // 100}"),
]
SKU_OF_LINE = {1: "(i % 300)", 2: "((i * 7 + 13) % 300)"}

BACKFILL = ("INSERT INTO ledger_daily (booked_on, store_id, currency, kind, amount) "
            "SELECT booked_on, COALESCE(store_id, 0), currency, kind, SUM(amount) FROM ledger_entries "
            "GROUP BY booked_on, COALESCE(store_id, 0), currency, kind")
_BUCKET_SUMS = ", ".join(f"SUM(CASE WHEN kind IN ({', '.join(repr(k) for k in kinds)}) THEN amount ELSE 0 END)"
                        for kinds in PROFIT_BUCKETS.values())
_PART_KEY = "booked_on, store_id, currency, product, supplier_id, estimated, incomplete"
_SUPPLIER_KEY = "booked_on, store_id, currency, supplier_id, estimated, incomplete"
PART_BACKFILLS = (
    f"INSERT INTO ledger_part_daily ({_PART_KEY}, label, parts, {', '.join(PROFIT_BUCKETS)}) "
    f"SELECT {_PART_KEY}, MAX(label), COUNT(*), {_BUCKET_SUMS} FROM ledger_parts GROUP BY {_PART_KEY}",
    f"INSERT INTO ledger_supplier_daily ({_SUPPLIER_KEY}, parts, {', '.join(PROFIT_BUCKETS)}) "
    f"SELECT {_SUPPLIER_KEY}, COUNT(*), {_BUCKET_SUMS} FROM ledger_parts GROUP BY {_SUPPLIER_KEY}",
)


def _triggers_off(conn: Connection, dialect: str) -> list[str]:
    if dialect == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        return []
    saved = [sql for (sql,) in conn.execute(text(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('ledger_entries', 'ledger_parts')"))]
    for (name,) in conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('ledger_entries', 'ledger_parts')")).all():
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
    store = "(CASE WHEN i % 5 = 0 THEN 2 ELSE 1 END)"
    currency = "(CASE WHEN i % 5 = 0 THEN 'EUR' ELSE 'USD' END)"
    with Timer() as timer, database.engine.begin() as conn:
        for sid, name, cur in ((1, "Bench", "USD"), (2, "Bench EU", "EUR")):
            conn.execute(text(
                "INSERT INTO stores (id, platform, name, shop_domain, currency, settings, created_at, updated_at, "
                f"status, api_version) VALUES ({sid}, 'shopify', '{name}', 'bench{sid}.myshopify.com', '{cur}', "
                "'{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'active', '2026-10')"))
        for n in range(1, 6):
            conn.execute(text(
                "INSERT INTO suppliers (id, code, name, kind, currency, config, lead_time_days, priority, active, "
                f"created_at, updated_at) VALUES ({n}, 'sup-{n}', 'Supplier {n}', 'sandbox', 'USD', '{{}}', 7, "
                "100, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO fx_rates (day, base, quote, rate, source, created_at) "
            f"SELECT {DAY[dialect].replace('(i % 365)', '(i - 1)')}, 'EUR', 'USD', 10800000000 + i * 1000000, 'bench', "
            f"CURRENT_TIMESTAMP FROM ({series}) AS s"), {"count": 400})
        conn.execute(text(
            "INSERT INTO orders (id, store_id, external_id, name, currency, status, financial_status, "
            "fulfillment_status, subtotal_price, total_discounts, total_shipping, total_tax, total_price, "
            "placed_at, remote_updated_at, fingerprint, created_at, updated_at) "
            f"SELECT i, {store}, CAST(i AS VARCHAR(20)), 'B' || CAST(i AS VARCHAR(20)), {currency}, 'routed', "
            f"'paid', 'unfulfilled', 0, 0, 0, 0, 0, {at}, {at}, 'x', {at}, {at} FROM ({series}) AS s"),
            {"count": orders})
        # Triggers off during the bulk load, then the daily summaries are built set-based exactly as
        # the migrations backfill them (row triggers over 16M rows would time the triggers).
        saved = _triggers_off(conn, dialect)
        for k, (suffix, kind, amount) in enumerate(LEDGER_ROWS):
            conn.execute(text(
                "INSERT INTO ledger_entries (id, source_ref, kind, store_id, order_id, amount, currency, estimated, "
                "occurred_at, booked_on, created_at) "
                f"SELECT (i - 1) * {len(LEDGER_ROWS)} + {k + 1}, 'order:' || CAST(i AS VARCHAR(20)) || '\\:{suffix}', "
                f"'{kind}', {store}, i, {amount}, {currency}, false, {at}, {day}, {at} FROM ({series}) AS s"),
                {"count": orders})
        for line, kind, k, amount in PARTS:
            sku = SKU_OF_LINE[line]
            conn.execute(text(
                "INSERT INTO ledger_parts (entry_id, order_id, store_id, booked_on, currency, kind, order_line_id, "
                "product, label, supplier_id, amount, estimated, incomplete) "
                f"SELECT (i - 1) * {len(LEDGER_ROWS)} + {k + 1}, i, {store}, {day}, {currency}, '{kind}', NULL, "
                f"'SKU-' || CAST({sku} AS VARCHAR(10)), 'Product ' || CAST({sku} AS VARCHAR(10)), "
                f"1 + {sku} % 5, {amount}, {'(i % 11 = 0)' if kind.startswith('supplier') else 'false'}, "
                f"(i % 97 = 0) FROM ({series}) AS s"), {"count": orders})
        conn.execute(text(BACKFILL))
        for backfill in PART_BACKFILLS:
            conn.execute(text(backfill))
        _triggers_on(conn, dialect, saved)
    with database.engine.connect() as conn:
        if dialect == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return timer.seconds


def _page(session: Session, start: date, end: date) -> int:
    """What /profit reads for one range: days now and before, products, suppliers, stores."""
    before_end = start - timedelta(days=1)
    before_start = before_end - (end - start)
    rows = len(profit_rows(session, start, end, "day", "USD"))
    rows += len(profit_rows(session, before_start, before_end, "day", "USD"))
    for group in ("product", "supplier", "store"):
        rows += len(profit_rows(session, start, end, group, "USD"))
    return rows


def _product(session: Session, start: date, end: date) -> int:
    return len(profit_rows(session, start, end, "product", "USD"))


def _floor(session: Session, start: date, end: date) -> int:
    return int(session.execute(text("SELECT count(*) FROM ledger_part_daily WHERE booked_on BETWEEN :a AND :b"),
                               {"a": start, "b": end}).scalar_one())


def measure(database: Database, start: date, end: date, runs: int,
            work: Callable[[Session, date, date], int]) -> tuple[float, float, int]:
    timings: list[float] = []
    rows = 0
    for _ in range(runs + 2):
        with database.transaction() as session, Timer() as timer:
            rows = work(session, start, end)
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
            print(f"  loaded {args.orders:,} orders, {args.orders * len(LEDGER_ROWS):,} ledger rows, "
                  f"{args.orders * len(PARTS):,} ledger parts in {seconds:.1f} s")
            for label, (start, end) in ranges.items():
                _, floor95, summary_rows = measure(database, start, end, args.runs, _floor)
                for name, work in (("page", _page), ("product", _product)):
                    p50, p95, rows = measure(database, start, end, args.runs, work)
                    print(f"  {name}, {label} ({rows} rows from {summary_rows:,} summary rows): p50 {p50:.1f} ms, "
                          f"p95 {p95:.1f} ms over {args.runs} runs; floor p95 {floor95:.1f} ms, "
                          f"ratio {p95 / max(floor95, 0.001):.1f}x")


if __name__ == "__main__":
    main()
