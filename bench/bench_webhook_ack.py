"""Webhook acknowledgement under a steady stream of signed `orders/create` deliveries.

One `hub run` process (the API) answers; with a broker (PostgreSQL + Redis) it only verifies,
stores and publishes, and `hub worker`s process; without one (SQLite, the embedded default) the
same process also processes after each answer. Deliveries are sent open-loop at a fixed rate (a
slow answer does not slow the sender), 5% of them a second time with the same webhook id, as
Shopify retries. Prints the acknowledgement latency (p50, p99, max) against a floor (the same
schedule of `GET /healthz` first: the server and this sender without the webhook's work), how
far the sender fell behind its schedule, the API
process's CPU per delivery, and checks that every delivery became exactly one order.

    python bench/bench_webhook_ack.py [--rate 200] [--seconds 10] [--backend postgresql|sqlite|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bench.common import temp_database
from connectors.registry import ConnectorRegistry
from connectors.shopify.webhooks import sign_webhook
from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.models import Order, WebhookDelivery
from hub.services import stores

SHOP, SECRET = "bench-ack.myshopify.com", "bench-ack-secret"
REDIS = os.environ.get("HUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
RETRIED_SHARE = 0.05


def order_body(number: int, skus: tuple[str, ...] = ("MUG-0", "MUG-1")) -> bytes:
    items = [{"id": number * 10 + i, "title": f"Item {sku}", "sku": sku, "quantity": 1, "price": "12.50",
              "variant_id": 7000 + i, "product_id": 8000 + i, "requires_shipping": True} for i, sku in enumerate(skus)]
    return json.dumps({
        "id": number, "name": f"#{number}", "email": "ann@example.com", "currency": "USD",
        "created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:00:00Z",
        "financial_status": "paid", "fulfillment_status": None, "total_price": "30.00", "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_shipping_price_set": {"shop_money": {"amount": "5.00", "currency_code": "USD"}},
        "shipping_address": {"first_name": "Ann", "last_name": "Lee", "address1": "5 Elm St", "city": "Boston",
                             "zip": "02101", "country_code": "US"},
        "line_items": items}).encode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def seed_store(database: Database, key: str) -> None:
    settings = Settings(_env_file=None, admin_token="bench", secret_key=key)  # type: ignore[call-arg]
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()), connectors=ConnectorRegistry())
    stores.add_shopify_store(hub, stores.NewShopifyStore(shop=SHOP, token="t", verify=False, webhook_secret=SECRET))


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: a sender this small costs tens of
    microseconds a request, where a full client's bookkeeping would load the same 2 cores."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, headers: dict[str, str], body: bytes) -> int:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                          .encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def send_all(port: int, rate: float, seconds: float, connections: int,
                   floor: bool = False) -> tuple[list[float], list[float], dict[int, int], int]:
    """Open loop: delivery i is due at i / rate. Latency counts from the due time, so a request
    that waited for a free connection is not flattered (no coordinated omission); the wait itself
    is reported as the sender's lateness. `floor`: the same schedule of `GET /healthz`, what the
    server and this sender cost without the webhook's work."""
    count = int(rate * seconds)
    retried = sorted(i for i in range(count) if i % round(1 / RETRIED_SHARE) == 7)
    plan = list(range(count)) + retried  # the retries are due after the last first delivery
    due_queue: asyncio.Queue[tuple[float, int]] = asyncio.Queue()
    latencies: list[float] = []
    lateness: list[float] = []
    statuses: dict[int, int] = {}
    pool = [await Connection.open(port) for _ in range(connections)]
    start = time.perf_counter() + 0.2
    for slot, number in enumerate(plan):
        due_queue.put_nowait((start + slot / rate, number))

    async def sender(connection: Connection) -> None:
        while not due_queue.empty():
            due, number = due_queue.get_nowait()
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            body = order_body(100_000 + number)
            headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP,
                       "X-Shopify-Webhook-Id": f"bench-{number}", "Content-Type": "application/json",
                       "X-Shopify-Hmac-Sha256": sign_webhook(body, SECRET)}
            lateness.append(time.perf_counter() - due)
            if floor:
                status = await connection.request("GET", "/healthz", {}, b"")
            else:
                status = await connection.request("POST", "/webhooks/shopify", headers, body)
            latencies.append(time.perf_counter() - due)
            statuses[status] = statuses.get(status, 0) + 1

    try:
        await asyncio.gather(*(sender(connection) for connection in pool))
    finally:
        for connection in pool:
            connection.close()
    return latencies, lateness, statuses, count


def wait_processed(database: Database, expected: int, timeout: float) -> tuple[int, int, float]:
    """Wait until every stored delivery is processed; (deliveries, orders, seconds waited)."""
    started = time.perf_counter()
    while True:
        with database.read() as session:
            deliveries = session.execute(select(func.count()).select_from(WebhookDelivery)).scalar_one()
            waiting = session.execute(select(func.count()).select_from(WebhookDelivery)
                                      .where(WebhookDelivery.status.in_(("received", "processing")))).scalar_one()
            orders = session.execute(select(func.count()).select_from(Order)).scalar_one()
        if (deliveries >= expected and waiting == 0) or time.perf_counter() - started > timeout:
            return deliveries, orders, time.perf_counter() - started
        time.sleep(0.2)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "hub", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the API exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the API did not start within 60 s")


def run_case(backend: str, database: Database, rate: float, seconds: float, workers: int,
             folder: Path, connections: int) -> dict[str, Any]:
    key = Fernet.generate_key().decode()
    seed_store(database, key)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_DATABASE_URL": database.url, "HUB_SECRET_KEY": key, "HUB_ADMIN_TOKEN": "bench",
                "HUB_LOG_LEVEL": "WARNING", "HUB_VAR_DIR": str(folder / "var"),
                # the periodic jobs stay out of the measurement (an hour apart)
                "HUB_ROUTE_INTERVAL_SECONDS": "3600", "HUB_OUTBOX_INTERVAL_SECONDS": "3600"})
    if backend == "postgresql":
        env.update({"HUB_BROKER_URL": REDIS, "HUB_BROKER_QUEUE_PREFIX": f"bench{uuid.uuid4().hex[:8]}."})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        processes: list[subprocess.Popen[bytes]] = []
        stack.callback(lambda: [os.killpg(p.pid, signal.SIGTERM) for p in processes if p.poll() is None])
        api = start(["run", "--port", str(port)], env, folder / "api.log")
        processes.append(api)
        if backend == "postgresql":
            processes += [start(["worker", "--concurrency", "1"], env, folder / f"worker-{i}.log")
                          for i in range(workers)]
        wait_ready(url, api, folder / "api.log")
        floor = asyncio.run(send_all(port, rate, min(seconds, 5.0), connections, floor=True))
        api_cpu = cpu_seconds(api.pid)
        try:
            latencies, lateness, statuses, count = asyncio.run(send_all(port, rate, seconds, connections))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            raise SystemExit(f"sending failed ({exc!r}); the API's log ends:\n"
                             f"{(folder / 'api.log').read_text()[-3000:]}") from exc
        api_cpu = cpu_seconds(api.pid) - api_cpu
        waited = max(120.0, seconds * 20) if workers or backend == "sqlite" else 0.0  # nobody would process
        deliveries, orders, drained = wait_processed(database, count, timeout=waited)
    return {"floor": floor[0], "latencies": latencies, "lateness": lateness, "statuses": statuses, "count": count,
            "requests": len(latencies), "deliveries": deliveries, "orders": orders, "drained": drained,
            "api_cpu_ms": api_cpu * 1000 / len(latencies)}


def report(backend: str, rate: float, result: dict[str, Any]) -> None:
    ms = [value * 1000 for value in result["latencies"]]
    late = [value * 1000 for value in result["lateness"]]
    print(f"[{backend}] {result['requests']} requests at {rate:.0f}/s ({result['count']} deliveries, "
          f"{result['requests'] - result['count']} retried with the same id): statuses {result['statuses']}")
    print(f"  acknowledgement p50 {percentile(ms, 0.5):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, "
          f"max {max(ms):.1f} ms")
    floor = [value * 1000 for value in result["floor"]]
    print(f"  floor (GET /healthz on the same schedule) p50 {percentile(floor, 0.5):.1f} ms, "
          f"p99 {percentile(floor, 0.99):.1f} ms: ack/floor p99 "
          f"{percentile(ms, 0.99) / max(percentile(floor, 0.99), 0.001):.1f}x")
    print(f"  sender waiting for a free connection p50 {percentile(late, 0.5):.1f} ms, "
          f"p99 {percentile(late, 0.99):.1f} ms; API CPU {result['api_cpu_ms']:.2f} ms per request")
    lost, doubled = result["count"] - result["orders"], max(0, result["orders"] - result["count"])
    if result["orders"] == 0 and result["deliveries"] == result["count"]:
        print(f"  stored {result['deliveries']} deliveries, none doubled (no worker ran: nothing processed)")
        return
    print(f"  stored {result['deliveries']} deliveries, {result['orders']} orders "
          f"(lost {lost}, doubled {doubled}); all processed {result['drained']:.1f} s after the last answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=None, help="deliveries/s (default 200 PG, 100 SQLite)")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2, help="hub workers beside the API (PostgreSQL)")
    parser.add_argument("--connections", type=int, default=50, help="keep-alive connections of the sender")
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    args = parser.parse_args()
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for backend in backends:
        rate = args.rate or (200.0 if backend == "postgresql" else 100.0)
        with tempfile.TemporaryDirectory() as folder, temp_database(backend) as database:
            if database is None:
                continue
            result = run_case(backend, database, rate, args.seconds, args.workers, Path(folder), args.connections)
            report(backend, rate, result)


if __name__ == "__main__":
    main()
