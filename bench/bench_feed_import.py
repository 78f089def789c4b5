"""Feed import benchmark: a generated N-row CSV feed imported on SQLite and PostgreSQL.

For each backend it prints rows/s and peak RSS of the import (measured in a child process, so the
RSS is the import's own), and the ratio to a floor measured in the same run on the same backend:
Python's csv module parsing the same file plus one executemany upsert of the same rows into the
same table. Then it re-imports the feed with 1% of the rows changed and checks that exactly those
rows are reported (and flagged) changed. Aim: ratio <= 1.5, peak RSS <= 300 MB.

    python bench/bench_feed_import.py [--rows 1000000] [--postgres-url URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHANGE_EVERY = 100  # 1% of rows change in the second feed


def generate(path: Path, rows: int, *, changed: bool = False) -> None:
    """sku,title,qty,price,currency,shipping — row i gets qty+1 in the changed variant when i % 100 == 7."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "title", "qty", "price", "currency", "shipping"])
        for i in range(rows):
            qty = i % 50 + (1 if changed and i % CHANGE_EVERY == 7 else 0)
            writer.writerow([f"SKU-{i:08d}", f"Product number {i}", qty, f"{i % 997 + 1}.{i % 100:02d}", "USD", "4.95"])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- child processes


def child_floor(url: str, path: Path, supplier_id: int) -> dict[str, Any]:
    """csv module parse + one executemany upsert of the same rows into `offers`."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    now = "now()" if postgres else "'2026-01-01 00:00:00.000000'"
    sql = (f"INSERT INTO offers (supplier_id, supplier_sku, title, stock, cost, currency, shipping_cost, countries,"
           f" active, changed, created_at, updated_at) VALUES ({', '.join([mark] * 8)}, TRUE, TRUE, {now}, {now})"
           " ON CONFLICT (supplier_id, supplier_sku) DO UPDATE SET title = excluded.title, stock = excluded.stock,"
           " cost = excluded.cost, currency = excluded.currency, shipping_cost = excluded.shipping_cost,"
           " changed = TRUE, updated_at = excluded.updated_at")
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [(supplier_id, sku, title, int(qty), int(price.replace(".", "")) * 100, currency,
                 int(ship.replace(".", "")) * 100, "[]") for sku, title, qty, price, currency, ship in reader]
    with engine.begin() as connection:
        cursor = connection.connection.cursor()
        cursor.executemany(sql, rows)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": len(rows), "rss_mb": peak_rss_mb()}


def child_import(url: str, path: Path, var_dir: Path) -> dict[str, Any]:
    from hub.bootstrap import build_hub
    from hub.config import Settings
    from hub.services.feeds import import_feed

    settings = Settings(_env_file=None, var_dir=var_dir, database_url=url, admin_token="bench")  # type: ignore[call-arg]
    hub = build_hub(settings)
    started = time.perf_counter()
    with path.open("rb") as handle:
        summary = import_feed(hub, "bench", handle, mode="full", fmt="csv", source="cli")
    seconds = time.perf_counter() - started
    hub.close()
    return {"seconds": seconds, "rss_mb": peak_rss_mb(), "summary": {k: v for k, v in summary.as_dict().items()
                                                                       if k not in ("errors", "warnings")}}


def run_child(*args: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                            check=False, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- one backend


def bench_backend(name: str, url: str, feed: Path, changed_feed: Path, rows: int, work: Path) -> None:
    from sqlalchemy import create_engine, text

    from hub.db.engine import Database
    from hub.db.migrate import upgrade
    from hub.services import suppliers

    database = Database(url)
    upgrade(database.engine)
    supplier = suppliers.add_supplier(database, "bench", "Bench", "USD")
    database.dispose()
    engine = create_engine(url)

    floor = run_child("floor", url, str(feed), str(supplier.id))
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM offers"))
    if name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE offers"))

    first = run_child("import", url, str(feed), str(work / f"var-{name}"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE offers SET changed = FALSE"))
    second = run_child("import", url, str(changed_feed), str(work / f"var-{name}"))
    with engine.connect() as connection:
        flagged = {row[0] for row in connection.execute(text("SELECT supplier_sku FROM offers WHERE changed"))}
        stored = connection.execute(text("SELECT count(*) FROM offers")).scalar_one()
    engine.dispose()
    expected = {f"SKU-{i:08d}" for i in range(rows) if i % CHANGE_EVERY == 7}

    s1, s2 = first["summary"], second["summary"]
    assert s1["accepted"] == rows == stored, (s1, stored)
    print(f"\n== {name}: {rows:,} rows")
    print(f"floor (csv module + one executemany upsert): {floor['seconds']:.2f} s, "
          f"{rows / floor['seconds']:,.0f} rows/s, peak RSS {floor['rss_mb']:.0f} MB")
    print(f"hub import (full, into an empty table):      {first['seconds']:.2f} s, "
          f"{rows / first['seconds']:,.0f} rows/s, peak RSS {first['rss_mb']:.0f} MB, "
          f"ratio to floor {first['seconds'] / floor['seconds']:.2f}x")
    print(f"re-import with 1% changed:                    {second['seconds']:.2f} s, "
          f"{rows / second['seconds']:,.0f} rows/s, peak RSS {second['rss_mb']:.0f} MB")
    exact = s2["changed"] == len(expected) and flagged == expected
    print(f"changed reported {s2['changed']:,}, flagged {len(flagged):,}, expected {len(expected):,}: "
          f"{'exactly those rows' if exact else 'MISMATCH'}")
    if not exact:
        raise SystemExit(1)


def postgres_database(admin_url: str) -> tuple[str, str] | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:
        print(f"\n== postgresql: skipped ({type(exc).__name__}: not reachable at {make_url(admin_url).host})")
        return None
    return name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, url, path, extra = sys.argv[2:6]
        out = child_floor(url, Path(path), int(extra)) if kind == "floor" else \
            child_import(url, Path(path), Path(extra))
        print(json.dumps(out))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres-url", default=os.environ.get("HUB_TEST_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        work = Path(tmp)
        feed, changed_feed = work / "feed.csv", work / "feed-changed.csv"
        started = time.perf_counter()
        generate(feed, args.rows)
        generate(changed_feed, args.rows, changed=True)
        print(f"generated {args.rows:,}-row CSV feeds ({feed.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s")
        bench_backend("sqlite", f"sqlite:///{work / 'bench.db'}", feed, changed_feed, args.rows, work)
        if args.no_postgres:
            print("\n== postgresql: skipped (--no-postgres)")
            return
        created = postgres_database(args.postgres_url)
        if created is None:
            return
        try:
            bench_backend("postgresql", created[1], feed, changed_feed, args.rows, work)
        finally:
            drop_postgres(args.postgres_url, created[0])


if __name__ == "__main__":
    main()
