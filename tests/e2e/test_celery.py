"""The Celery mode end to end, every part its own process: `hub run` (API only), `hub worker`,
`hub scheduler`, the sandbox supplier; PostgreSQL with Redis and with RabbitMQ.

Orders posted to the API are routed and placed at the sandbox supplier exactly once, although the
worker is SIGKILLed (with its pool) in the middle of the run and started again; and of two
schedulers the standby takes over the lease when the active one is killed.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from hub.db.engine import Database
from hub.db.migrate import upgrade
from hub.db.models import JobLease, Offer, OutboxMessage, Supplier, SupplierOrder
from tests.e2e.celery_support import broker_url, hub_env, processes, require_postgres, wait_for
from tests.e2e.test_placement_crash import supplier_server
from tests.live import free_port

pytestmark = pytest.mark.slow
_ = (processes, supplier_server)  # fixtures

ORDERS = 24


def _seed_supplier(database: Database, supplier_url: str) -> None:
    with database.transaction() as session:
        supplier = Supplier(code="sbx", name="Sandbox", kind="sandbox", currency="USD",
                            config={"base_url": supplier_url})
        session.add(supplier)
        session.flush()
        for product in range(1, 21):
            session.add(Offer(supplier_id=supplier.id, supplier_sku=f"SBX-{product:04d}-1", cost=Decimal("5.00"),
                              shipping_cost=Decimal("1.00"), currency="USD", stock=100_000, countries=[]))


def _order(i: int) -> dict[str, object]:
    return {"reference": f"cel-{i}", "currency": "USD",
            "shipping_address": {"name": "A B", "address1": "1 Main St", "city": "Springfield",
                                 "country_code": "US", "zip": "12345"},
            "lines": [{"sku": f"SBX-{i % 20 + 1:04d}-1", "quantity": 1, "unit_price": "20.00"}]}


def _pending(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(OutboxMessage)
                                   .where(OutboxMessage.state == "pending")).scalar_one())


def _accepted(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(select(func.count()).select_from(SupplierOrder)
                                   .where(SupplierOrder.state == "accepted")).scalar_one())


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_orders_through_api_and_worker_are_placed_once_despite_a_killed_worker(
        broker: str, db_url: str, tmp_path: Path, supplier_server: str, processes) -> None:  # type: ignore[no-untyped-def]
    require_postgres(db_url)
    url = broker_url(broker)
    key = Fernet.generate_key().decode()
    database = Database(db_url)
    upgrade(database.engine)
    _seed_supplier(database, supplier_server)
    group = processes(hub_env(db_url, url, key, tmp_path / "var"))
    port = free_port()
    group.start("api", "run", "--port", str(port))
    group.start("scheduler", "scheduler")
    worker = group.start("worker", "worker", "--concurrency", "1")
    api = f"http://127.0.0.1:{port}"

    def api_up() -> bool:
        try:
            return httpx.get(f"{api}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(api_up, 40, "the API", group.tail)
        headers = {"Authorization": "Bearer x"}
        with httpx.Client(base_url=api, headers=headers, timeout=10) as client:
            for i in range(ORDERS // 2):
                assert client.post("/api/v1/orders", json=_order(i)).status_code == 201
            # Killed mid-run: once part of the first half is placed (an observable state).
            wait_for(lambda: _accepted(database) >= 3, 60, "the first placements", group.tail)
            group.kill(worker)
            for i in range(ORDERS // 2, ORDERS):
                assert client.post("/api/v1/orders", json=_order(i)).status_code == 201
        group.start("worker", "worker", "--concurrency", "2")
        # A worker killed between the supplier's answer and recording the outbox row leaves that row
        # pending: after its lease the relay republishes it and the next attempt finds it done.
        wait_for(lambda: _accepted(database) >= ORDERS and not _pending(database), 60, "every order placed",
                 group.tail)
        with database.read() as session:
            outbox = dict(session.execute(select(OutboxMessage.state, func.count())
                                          .where(OutboxMessage.kind == "supplier.place")
                                          .group_by(OutboxMessage.state)).all())
            states = dict(session.execute(select(SupplierOrder.state, func.count())
                                          .group_by(SupplierOrder.state)).all())
    finally:
        group.stop_all()
        database.dispose()
    stats = httpx.get(f"{supplier_server}/_stats", timeout=10).json()
    assert stats["duplicates"] == []
    assert stats["orders_created"] == ORDERS
    assert set(stats["orders_per_reference"].values()) == {1}
    assert states == {"accepted": ORDERS}
    assert outbox == {"done": ORDERS}


def _lease_pid(database: Database) -> int | None:
    with database.read() as session:
        row = session.execute(select(JobLease.holder, JobLease.holder_pid)
                              .where(JobLease.job == "scheduler", JobLease.scope == "*")).one_or_none()
    return None if row is None or row.holder is None else int(row.holder_pid)


@pytest.mark.parametrize("broker", ["redis"])
def test_standby_scheduler_takes_over_when_the_active_one_is_killed(
        broker: str, db_url: str, tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    require_postgres(db_url)
    url = broker_url(broker)
    database = Database(db_url)
    upgrade(database.engine)
    group = processes(hub_env(db_url, url, Fernet.generate_key().decode(), tmp_path / "var"))
    first, second = group.start("scheduler", "scheduler"), group.start("scheduler", "scheduler")
    pids = {first.pid: first, second.pid: second}
    try:
        wait_for(lambda: _lease_pid(database) in pids, 40, "a scheduler holding the lease", group.tail)
        active = _lease_pid(database)
        assert active is not None
        standby = next(pid for pid in pids if pid != active)
        assert pids[standby].poll() is None, "the standby must keep running while it waits"
        killed_at = time.monotonic()
        group.kill(pids[active])
        wait_for(lambda: _lease_pid(database) == standby, 20, "the standby to take the lease", group.tail)
        took = time.monotonic() - killed_at
    finally:
        group.stop_all()
        database.dispose()
    # Same host: the dead holder's pid is gone, so the standby's next ask (every heartbeat, 0.5 s) wins.
    assert took < 10, took


def test_a_sale_is_placed_right_away_not_on_the_next_tick(db_url: str, tmp_path: Path, supplier_server: str,
                                                          processes) -> None:  # type: ignore[no-untyped-def]
    """Ticks an hour apart: only the wake-ups published on commit (order → routing → placement)
    can place these orders; each one's sale → supplier order accepted time is printed."""
    require_postgres(db_url)
    url = broker_url("redis")
    database = Database(db_url)
    upgrade(database.engine)
    _seed_supplier(database, supplier_server)
    hour = "3600"
    group = processes(hub_env(db_url, url, Fernet.generate_key().decode(), tmp_path / "var",
                              HUB_ROUTE_INTERVAL_SECONDS=hour, HUB_OUTBOX_INTERVAL_SECONDS=hour,
                              HUB_RELAY_GRACE_SECONDS=hour))
    port, metrics_port = free_port(), free_port()
    group.start("api", "run", "--port", str(port))
    group.start("worker", "worker", "--concurrency", "1", "--metrics-port", str(metrics_port))
    api = f"http://127.0.0.1:{port}"
    latencies: list[float] = []
    try:
        wait_for(lambda: _healthy(api), 40, "the API", group.tail)
        with httpx.Client(base_url=api, headers={"Authorization": "Bearer x"}, timeout=10) as client:
            # The first order also waits for the worker to start: it is not timed.
            assert client.post("/api/v1/orders", json=_order(1000)).status_code == 201
            wait_for(lambda: _accepted(database) >= 1, 60, "the first placement", group.tail)
            for i in range(1, 11):
                started = time.monotonic()
                assert client.post("/api/v1/orders", json=_order(1000 + i)).status_code == 201
                wait_for(lambda n=i: _accepted(database) >= n + 1, 30, f"placement {i}", group.tail)
                latencies.append(time.monotonic() - started)
            api_metrics = client.get("/metrics").text
        worker_url = f"http://127.0.0.1:{metrics_port}/metrics"
        assert httpx.get(worker_url, timeout=5).status_code == 401  # labels name suppliers: not public
        worker_metrics = httpx.get(worker_url, headers={"Authorization": "Bearer x"}, timeout=5).text
    finally:
        group.stop_all()
        database.dispose()
    latencies.sort()
    print(f"sale → supplier order accepted: p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms over {len(latencies)} orders")
    assert latencies[-1] < 30
    # The pool process's counters, summed by the worker's main process: every routing and
    # placement task, and the calls to the supplier, timed.
    assert _sample(worker_metrics, 'hub_task_duration_seconds_count{outcome="success",task="hub.react"}') >= 11
    assert _sample(worker_metrics, 'hub_task_duration_seconds_count{outcome="success",task="hub.deliver"}') >= 11
    assert _sample(worker_metrics, 'hub_remote_call_seconds_count{kind="supplier",remote="sandbox:root"}') >= 11
    assert _sample(api_metrics, "hub_broker_up") == 1
    assert _sample(api_metrics, 'hub_queue_messages{queue="placement"}') == 0  # all placed, nothing waits


def _sample(exposition: str, name: str) -> float:
    """The value of one sample line of a Prometheus text exposition."""
    for line in exposition.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the exposition:\n{exposition[:3000]}")


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
