"""Sale → supplier order: from a signed `orders/create` webhook to the supplier order placed.

Every part is its own process, as in production: `hub run` (the API, with a broker), `hub worker`s
and the sandbox supplier's HTTP server, on PostgreSQL with Redis. The periodic jobs are an hour
apart, so only the wake-ups published on commit move an order (webhook → intake → routing →
placement). Orders arrive one at a time at a steady pace. For each order the hub's own clock
stamps the supplier order: `created_at` when routing wrote it, `accepted_at` when the supplier's
answer was stored (placed); both are read against the moment the webhook was sent. The floor
is the webhook's own acknowledgement on the same run.

    python bench/bench_sale_to_supplier.py [--orders 50] [--interval 0.2] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import select

from bench.bench_webhook_ack import (
    REDIS,
    SECRET,
    SHOP,
    Connection,
    free_port,
    order_body,
    percentile,
    seed_store,
    start,
)
from bench.bench_webhook_ack import wait_ready as wait_api
from bench.common import temp_database
from connectors.shopify.webhooks import sign_webhook
from hub.db.engine import Database
from hub.db.models import Offer, Order, Supplier, SupplierOrder

PRODUCTS = 20


def start_supplier(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "connectors.suppliers.sandbox", "--host", "127.0.0.1",
                                "--port", str(port), "--ship-after", "-1", "--products", str(PRODUCTS)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_stats", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the sandbox supplier did not start")


def seed_supplier(database: Database, url: str) -> None:
    with database.transaction() as session:
        supplier = Supplier(code="sbx", name="Sandbox", kind="sandbox", currency="USD", config={"base_url": url})
        session.add(supplier)
        session.flush()
        for product in range(1, PRODUCTS + 1):
            session.add(Offer(supplier_id=supplier.id, supplier_sku=f"SBX-{product:04d}-1", cost=Decimal("5.00"),
                              shipping_cost=Decimal("1.00"), currency="USD", stock=1_000_000, countries=[]))


def stamps(database: Database) -> dict[str, tuple[datetime | None, datetime | None]]:
    """Order number → (created_at, accepted_at) of its supplier order."""
    with database.read() as session:
        rows = session.execute(select(Order.external_id, SupplierOrder.created_at, SupplierOrder.accepted_at)
                               .join(SupplierOrder, SupplierOrder.order_id == Order.id))
        return {str(number): (placed, accepted) for number, placed, accepted in rows}


async def send(port: int, numbers: list[int], interval: float) -> tuple[dict[str, float], list[float]]:
    """One webhook every `interval` seconds; returns each order's send time (epoch) and the acks."""
    connection = await Connection.open(port)
    sent: dict[str, float] = {}
    acks: list[float] = []
    try:
        for number in numbers:
            body = order_body(number, (f"SBX-{number % PRODUCTS + 1:04d}-1",))
            headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP,
                       "X-Shopify-Webhook-Id": f"sale-{number}", "Content-Type": "application/json",
                       "X-Shopify-Hmac-Sha256": sign_webhook(body, SECRET)}
            sent[str(number)] = time.time()
            began = time.perf_counter()
            status = await connection.request("POST", "/webhooks/shopify", headers, body)
            acks.append(time.perf_counter() - began)
            if status != 200:
                raise SystemExit(f"webhook {number} answered {status}")
            await asyncio.sleep(interval)
    finally:
        connection.close()
    return sent, acks


def wait_all(database: Database, numbers: list[str],
             timeout: float) -> dict[str, tuple[datetime | None, datetime | None]]:
    deadline = time.monotonic() + timeout
    while True:
        found = stamps(database)
        if all(found.get(n, (None, None))[1] is not None for n in numbers) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between two sales")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, temp_database("postgresql") as database:
        if database is None:
            return
        key = Fernet.generate_key().decode()
        seed_store(database, key)
        supplier_port, api_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update({"HUB_DATABASE_URL": database.url, "HUB_SECRET_KEY": key, "HUB_ADMIN_TOKEN": "bench",
                    "HUB_LOG_LEVEL": "WARNING", "HUB_VAR_DIR": str(Path(folder) / "var"),
                    "HUB_BROKER_URL": REDIS, "HUB_BROKER_QUEUE_PREFIX": f"bench{uuid.uuid4().hex[:8]}.",
                    "HUB_ROUTE_INTERVAL_SECONDS": "3600", "HUB_OUTBOX_INTERVAL_SECONDS": "3600",
                    "HUB_RELAY_GRACE_SECONDS": "3600"})
        processes = [start_supplier(supplier_port)]
        try:
            seed_supplier(database, f"http://127.0.0.1:{supplier_port}")
            api = start(["run", "--port", str(api_port)], env, Path(folder) / "api.log")
            processes.append(api)
            processes += [start(["worker", "--concurrency", "1"], env, Path(folder) / f"worker-{i}.log")
                          for i in range(args.workers)]
            wait_api(f"http://127.0.0.1:{api_port}", api, Path(folder) / "api.log")
            # The first sale also waits for the workers to connect: not timed.
            asyncio.run(send(api_port, [1], 0))
            wait_all(database, ["1"], 60)
            numbers = list(range(2, args.orders + 2))
            sent, acks = asyncio.run(send(api_port, numbers, args.interval))
            found = wait_all(database, [str(n) for n in numbers], 120)
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
    placed, accepted, missing = [], [], 0
    for number, at in sent.items():
        placed_at, accepted_at = found.get(number, (None, None))
        if placed_at is None or accepted_at is None:
            missing += 1
            continue
        placed.append((placed_at.replace(tzinfo=placed_at.tzinfo or UTC).timestamp() - at) * 1000)
        accepted.append((accepted_at.replace(tzinfo=accepted_at.tzinfo or UTC).timestamp() - at) * 1000)
    ack_ms = [value * 1000 for value in acks]
    print(f"{len(sent)} sales, one every {args.interval * 1000:.0f} ms, {args.workers} worker(s), PostgreSQL + Redis")
    print(f"  sale → supplier order written by routing: p50 {percentile(placed, 0.5):.0f} ms, "
          f"p95 {percentile(placed, 0.95):.0f} ms, max {max(placed):.0f} ms")
    print(f"  sale → supplier order placed (accepted by the supplier): p50 {percentile(accepted, 0.5):.0f} ms, "
          f"p95 {percentile(accepted, 0.95):.0f} ms, max {max(accepted):.0f} ms")
    print(f"  floor (the webhook's acknowledgement): p50 {percentile(ack_ms, 0.5):.1f} ms, "
          f"p95 {percentile(ack_ms, 0.95):.1f} ms; accepted/ack p50 "
          f"{percentile(accepted, 0.5) / max(percentile(ack_ms, 0.5), 0.001):.0f}x")
    if missing:
        print(f"  {missing} sales had no accepted supplier order within 120 s")


if __name__ == "__main__":
    main()
