"""Orders routed and placed per second by Celery workers, on PostgreSQL with Redis.

The sandbox store's orders are committed into the hub (a pull from an in-process sandbox shop),
then routed and placed at two sandbox suppliers that run as real HTTP servers (processes of
`python -m connectors.suppliers.sandbox`) by `hub worker` processes: first one worker, then two
(concurrency 1 each; `--concurrency` to change). The bench publishes `hub.react` tasks of
`--batch` order ids, as intake does after a commit, and waits for every supplier order to be
accepted. It prints orders/s for each run and the ratio against one worker, and each process's
CPU seconds (workers, their PostgreSQL backends, the sandbox servers, Redis, this process), so
what limits scaling on a small machine is visible. Before that, a profile in this process routes
and places `--profile` orders one by one and prints SQL statements and CPU milliseconds per
order, routing and placement apart.

    python bench/bench_throughput.py [--orders 2000] [--workers 1,2] [--concurrency 1] [--batch 25]
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet
from sqlalchemy import event, func, select, text

from bench.common import POSTGRES_ADMIN, Timer, temp_database
from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import Order, OutboxMessage, SupplierOrder
from hub.sandbox_mode import connect_sandbox_supplier
from hub.services import outbox, stores
from hub.services.listings import sync_listings
from hub.services.pull import pull_orders
from hub.services.routing import route

REDIS = os.environ.get("HUB_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SUPPLIERS = {  # code → (catalogue seed, coverage, price factor, priority): orders go to one or two
    "bench-east": (7, 0.8, "1.00", 1),
    "bench-west": (8, 0.8, "0.92", 2),
}
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) of the live processes of one process group, from /proc."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[0] is the state: pgrp is the 5th field of stat
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def pid_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def redis_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "redis-server":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass
class Started:
    """Processes this bench started (each its own session: killed by group, never by name)."""

    env: dict[str, str]
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "wb") as log:
            process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.procs[name] = process
        return process

    def stop(self, name: str) -> None:
        process = self.procs.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(15)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


class StatementCounter:
    def __init__(self, database: Database) -> None:
        self.count = 0
        event.listen(database.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: object) -> None:
        self.count += 1


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            print(f"  timed out after {timeout:.0f} s waiting for {what}")
            return False
        time.sleep(0.5)  # polling the database for the observable end state (cheap, not pacing)
    return True


@contextmanager
def suppliers_running(started: Started) -> Iterator[dict[str, tuple[str, SandboxSupplierServer]]]:
    """The sandbox suppliers as HTTP server processes; in-process twins give the catalogues."""
    servers: dict[str, tuple[str, SandboxSupplierServer]] = {}
    for code, (seed, coverage, factor, _) in SUPPLIERS.items():
        port = free_port()
        started.start(code, [sys.executable, "-m", "connectors.suppliers.sandbox", "--port", str(port),
                             "--seed", str(seed), "--coverage", str(coverage), "--price-factor", factor,
                             "--ship-after", "-1"])
        twin = SandboxSupplierServer(SupplierSandboxConfig(seed=seed, coverage=coverage,
                                                           price_factor=Decimal(factor), ship_after=-1))
        servers[code] = (f"http://127.0.0.1:{port}", twin)
    for code, (base, _) in servers.items():
        address, number = base.removeprefix("http://").split(":")

        def listening(host: str = address, port: int = int(number)) -> bool:
            return _answers(host, port)

        wait_until(listening, 30, f"{code} to listen")
    yield servers


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        return False
    return True


_CLOCK = [utcnow() - timedelta(days=2)]  # each batch sells after the last (the shop's orders are 1 s apart)


def new_orders(hub: Hub, shop: SandboxShopify, store_id: int, count: int) -> list[int]:
    """`count` new orders at the shop, pulled and committed into the hub (not routed)."""
    since = _CLOCK[0] - timedelta(seconds=1)
    created = shop.create_orders(count, at=_CLOCK[0])
    _CLOCK[0] += timedelta(seconds=count + 1)
    pull_orders(hub, store_id, since=since)
    with hub.db.read() as session:
        return list(session.execute(select(Order.id).where(
            Order.external_id.in_([str(order.id) for order in created]))).scalars())


def profile(hub: Hub, shop: SandboxShopify, store_id: int, count: int) -> dict[str, float]:
    """Route then place `count` orders in this process, counting statements and CPU of each half."""
    ids = new_orders(hub, shop, store_id, count)
    counter = StatementCounter(hub.db)
    cpu = time.process_time()
    for order_id in ids:
        route(hub, order_id)
    routing = {"statements": counter.count, "cpu": time.process_time() - cpu}
    with hub.db.read() as session:
        messages = list(session.execute(select(OutboxMessage.id).join(
            SupplierOrder, OutboxMessage.idempotency_key == "place:" + SupplierOrder.idempotency_key)
            .where(SupplierOrder.order_id.in_(ids)).order_by(OutboxMessage.id)).scalars())
    counter.count, cpu, wall = 0, time.process_time(), time.perf_counter()
    if os.environ.get("BENCH_CPROFILE"):
        import cProfile
        cProfile.runctx("for m in messages: outbox.deliver(hub, m)", globals(), {"messages": messages, "outbox": outbox,
                        "hub": hub}, sort="cumtime")
    for message_id in messages:
        outbox.deliver(hub, message_id)
    placing = {"statements": counter.count, "cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    event.remove(hub.db.engine, "before_cursor_execute", counter._seen)
    print(f"  profile, {len(ids)} orders, {len(messages)} supplier orders, in this process:")
    print(f"    routing:   {routing['statements'] / len(ids):6.1f} statements/order, "
          f"{routing['cpu'] * 1000 / len(ids):6.1f} ms CPU/order (this process only)")
    print(f"    placement: {placing['statements'] / len(ids):6.1f} statements/order, "
          f"{placing['cpu'] * 1000 / len(ids):6.1f} ms CPU/order (this process only; "
          f"{len(messages) / len(ids):.2f} supplier orders/order), "
          f"{placing['wall'] * 1000 / len(ids):.1f} ms wall/order")
    return {"routing_statements": routing["statements"] / len(ids), "placing_statements":
            placing["statements"] / len(ids)}


def backend_pids(hub: Hub, database: str) -> list[int]:
    with hub.db.engine.connect() as conn:
        return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> "
                                      "pg_backend_pid()"), {"d": database}).scalars())


def run_workers(hub: Hub, shop: SandboxShopify, store_id: int, started: Started, workers: int, concurrency: int,
                orders: int, batch: int, database: str) -> float | None:
    """Start `workers` workers, publish the orders, wait until every supplier order is accepted."""
    from hub.tasks.app import REACT_TASK, make_app, publish_messages, queue_name
    from hub.tasks.queues import ROUTING
    from hub.tasks.relay import Relay

    ids = new_orders(hub, shop, store_id, orders)
    names = [f"worker{n}" for n in range(workers)]
    for name in names:
        started.start(name, [sys.executable, "-m", "hub", "worker", "--concurrency", str(concurrency)])
    app = make_app(started.env["HUB_BROKER_URL"], hub.settings)
    try:
        ready = wait_until(lambda: len(app.control.ping(timeout=0.5)) >= workers, 60, "the workers")
        if not ready:
            return None
        groups = {name: started.procs[name].pid for name in names}
        others = {**{code: started.procs[code].pid for code in SUPPLIERS}}
        cpu_before = {name: group_cpu(pgid) for name, pgid in {**groups, **others}.items()}
        redis_before = {pid: pid_cpu(pid) for pid in redis_pids()}
        own_before = time.process_time()
        backends_before = {pid: pid_cpu(pid) for pid in backend_pids(hub, database)}
        start = time.perf_counter()
        for first in range(0, len(ids), batch):
            app.send_task(REACT_TASK, args=[ids[first:first + batch]], queue=queue_name(app, ROUTING))

        first_id, last_id = min(ids), max(ids)  # this run's orders are the newest: a range, cheap to poll

        relayed, polls = [0], [0]
        relay = Relay(hub.db, lambda found: publish_messages(app, found), timedelta(seconds=60))

        def done() -> bool:
            # The relay, as `hub scheduler` runs it (every few seconds): a delivery that failed (a
            # deadlock, a timeout) waits for its backoff and is republished when due. A long grace:
            # wake-ups still queued behind the backlog are not republished again and again.
            polls[0] += 1
            if polls[0] % 10 == 0:
                relayed[0] += relay()
            with hub.db.read() as session:
                waiting = session.execute(select(func.count()).select_from(Order).where(
                    Order.id.between(first_id, last_id), Order.status.in_(("new", "routing")))).scalar_one()
                unplaced = session.execute(select(func.count()).select_from(SupplierOrder).where(
                    SupplierOrder.order_id.between(first_id, last_id),
                    SupplierOrder.state.in_(("pending", "placing")))).scalar_one()
            return waiting == 0 and unplaced == 0

        finished = wait_until(done, max(300, orders / 2), f"{orders} orders placed")
        seconds = time.perf_counter() - start
        backends = {pid: pid_cpu(pid) - backends_before.get(pid, 0.0) for pid in backend_pids(hub, database)}
        cpu = {name: group_cpu(pgid) - cpu_before[name] for name, pgid in {**groups, **others}.items()}
        redis = sum(pid_cpu(pid) - before for pid, before in redis_before.items())
        own = time.process_time() - own_before
    finally:
        for name in names:
            if name in started.procs:
                started.stop(name)
        app.close()
    with hub.db.read() as session:
        states = dict(session.execute(select(SupplierOrder.state, func.count()).where(
            SupplierOrder.order_id.in_(ids)).group_by(SupplierOrder.state)).all())
        statuses = dict(session.execute(select(Order.status, func.count()).where(Order.id.in_(ids))
                                        .group_by(Order.status)).all())
        retried = session.execute(select(func.count()).select_from(OutboxMessage).join(
            SupplierOrder, OutboxMessage.idempotency_key == "place:" + SupplierOrder.idempotency_key).where(
            SupplierOrder.order_id.in_(ids), OutboxMessage.attempts > 1)).scalar_one()
    orders = len(ids) if finished else len(ids) - statuses.get("new", 0) - statuses.get("routing", 0)
    rate = orders / seconds  # unfinished: the orders routed by the deadline
    print(f"  {workers} worker(s) x concurrency {concurrency}: {orders} orders in {seconds:.1f} s = "
          f"{rate:.1f} orders/s{'' if finished else ' (NOT FINISHED)'}")
    print(f"    orders {dict(sorted(statuses.items()))}, supplier orders {dict(sorted(states.items()))}; "
          f"deliveries retried: {retried}, republished by the relay: {relayed[0]}")
    total = sum(cpu.values()) + sum(backends.values()) + redis + own
    print(f"    CPU seconds over {seconds:.1f} s wall ({total / seconds:.2f} cores busy, "
          f"{total * 1000 / orders:.1f} ms/order):")
    for name, value in cpu.items():
        print(f"      {name:<22} {value:7.2f} s  {value * 1000 / orders:6.2f} ms/order")
    print(f"      {'postgres backends':<22} {sum(backends.values()):7.2f} s  "
          f"{sum(backends.values()) * 1000 / orders:6.2f} ms/order ({len(backends)} backends)")
    print(f"      {'redis (shared)':<22} {redis:7.2f} s  {redis * 1000 / orders:6.2f} ms/order")
    print(f"      {'bench (intake, polling)':<22} {own:7.2f} s")
    return rate if finished else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000, help="orders per worker run")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, in order")
    parser.add_argument("--concurrency", type=int, default=1, help="pool processes per worker")
    parser.add_argument("--batch", type=int, default=25, help="order ids per hub.react task")
    parser.add_argument("--profile", type=int, default=200, help="orders profiled in this process (0: none)")
    args = parser.parse_args()
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # progress shows as it comes, even into a file
    host, _, port = REDIS.removeprefix("redis://").split("/")[0].partition(":")
    if not _answers(host, int(port or 6379)):
        print(f"Redis not reachable at {REDIS}: skipped")
        return
    with temp_database("postgresql") as db, tempfile.TemporaryDirectory() as folder:
        if db is None:
            return
        database = db.engine.url.database or ""
        key, prefix = Fernet.generate_key().decode(), f"bench{uuid.uuid4().hex[:8]}."
        settings = Settings(_env_file=None, admin_token="bench", secret_key=key,
                            var_dir=Path(folder), broker_queue_prefix=prefix)
        shop = SandboxShopify(SandboxConfig(orders=0, bucket_size=1e12, restore_rate=1e12, max_query_cost=10**9))
        hub = Hub(settings=settings, db=db, cipher=TokenCipher(settings.fernet_key()),
                  connectors=ConnectorRegistry(shopify_transport=shop.transport()))
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        env.update({"HUB_DATABASE_URL": db.engine.url.render_as_string(hide_password=False), "HUB_SECRET_KEY": key,
                    "HUB_ADMIN_TOKEN": "bench", "HUB_BROKER_URL": REDIS, "HUB_VAR_DIR": folder,
                    "HUB_BROKER_QUEUE_PREFIX": prefix, "HUB_LOG_LEVEL": "WARNING"})
        started = Started(env, Path(folder))
        try:
            with suppliers_running(started) as servers:
                with Timer() as setup:
                    view = stores.add_shopify_store(hub, stores.NewShopifyStore(
                        shop=shop.config.shop_domain, token=shop.config.access_token, verify=False, currency="USD"))
                    for code, (base, twin) in servers.items():
                        connect_sandbox_supplier(hub, code, code, SUPPLIERS[code][3], {"base_url": base}, twin)
                    sync_listings(hub, view["id"])
                print(f"PostgreSQL ({POSTGRES_ADMIN.rsplit('@', 1)[-1]}), Redis {REDIS}; store and two sandbox "
                      f"supplier servers set up in {setup.seconds:.1f} s")
                if args.profile:
                    profile(hub, shop, view["id"], args.profile)
                rates: dict[int, float | None] = defaultdict(lambda: None)
                for workers in [int(n) for n in args.workers.split(",") if n]:
                    rates[workers] = run_workers(hub, shop, view["id"], started, workers, args.concurrency,
                                                 args.orders, args.batch, database)
                if rates[1] and len(rates) > 1:
                    for workers, rate in rates.items():
                        if workers != 1 and rate:
                            print(f"  {workers} workers vs 1: {rate / rates[1]:.2f}x (goal: >= 1.5x and "
                                  f">= 200 orders/s with 2)")
        finally:
            started.stop_all()
            for log in sorted(Path(folder).glob("*.log")):
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                if any("Error" in line or "Traceback" in line for line in tail):  # (stopping a worker logs some)
                    print(f"  --- {log.name}: " + " | ".join(line[:200] for line in tail))


if __name__ == "__main__":
    main()
