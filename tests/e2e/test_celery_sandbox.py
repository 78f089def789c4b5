"""The whole sandbox flow on Celery, at the scale of an agency: `hub run --sandbox` with many sandbox
stores (20 × 50 orders at the issue's scale; fewer in `make test`, see STORES): the API, webhooks,
and the emulated shops and suppliers; two `hub scheduler`s and two `hub worker`s as
separate processes, on PostgreSQL with Redis and with RabbitMQ.

Each store sells its orders (2 of history, brought by the pull; the rest by webhook). While they
flow, one worker is SIGKILLed (with its pool) 5 times, each once the flow has made a further sixth
of its way, and started again; and the active scheduler is SIGKILLed once: the standby must take
the lease before the dead one's lease would have run out. The run ends with every shop order once
in the hub, each routed line placed once at one supplier (none doubled there), and every parcel
fulfilled once at its own shop.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.e2e.celery_support import Processes, broker_url, processes, require_postgres, wait_for
from tests.e2e.many_stores import Lease, check_end_state, scheduler_lease, steps_done
from tests.e2e.sandbox_run import HubRun, scenario_env, upgrade

pytestmark = pytest.mark.slow
_ = processes  # fixture

# The scale is 20 stores of 50 orders; `make test` runs 3 stores of 12 on Redis to stay
# within CI's 10 minutes on 2 cores (HUB_E2E_STORES / HUB_E2E_ORDERS_PER_STORE raise it, and
# HUB_E2E_BROKERS=redis,amqp runs it on RabbitMQ too: the full runs and their figures are in the
# README; tests/e2e/test_celery.py kills a worker on both brokers in every run).
BROKER_NAMES = os.environ.get("HUB_E2E_BROKERS", "redis").split(",")
STORES = int(os.environ.get("HUB_E2E_STORES", "3"))
HISTORY = 2
NEW_ORDERS = int(os.environ.get("HUB_E2E_ORDERS_PER_STORE", "12")) - HISTORY
ORDERS = STORES * (HISTORY + NEW_ORDERS)
WORKER_KILLS = 5
# Each routed order has at least one supplier order placed and one parcel fulfilled: two steps.
STEP = 2 * ORDERS * 9 // 10 // (WORKER_KILLS + 1)


def _env(tmp_path: Path, db_url: str, broker: str) -> dict[str, str]:
    env = scenario_env(tmp_path, db_url, HISTORY, NEW_ORDERS)
    env.update({
        "HUB_SANDBOX_STORES": str(STORES), "HUB_SANDBOX_ORDERS_PER_MINUTE": "120",
        "HUB_BROKER_URL": broker_url(broker), "HUB_BROKER_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:10]}.",
        # The scheduler's lease lasts 4 beats (4 s); the standby asks every beat.
        "HUB_JOB_HEARTBEAT_SECONDS": "1", "HUB_FEED_ALLOW_PRIVATE_URLS": "true",
        # Under this load an attempt may take seconds (lock waits): a lease shorter than that lets a
        # second worker take a message whose first attempt is still in flight; and a relay grace
        # shorter than the queues' wait sends their backlog again and again.
        "HUB_OUTBOX_LEASE_SECONDS": "15", "HUB_RELAY_GRACE_SECONDS": "10",
        # Only what this flow needs runs often (each per-store job is 20 tasks a firing); the pull
        # brings the history at the start, webhooks the rest.
        "HUB_ORDERS_PULL_INTERVAL_SECONDS": "30", "HUB_ROUTE_INTERVAL_SECONDS": "2",
        "HUB_LEDGER_INTERVAL_SECONDS": "3600", "HUB_PAYMENTS_PULL_INTERVAL_SECONDS": "3600",
        "HUB_PUSH_INTERVAL_SECONDS": "3600",
    })
    return env


@pytest.mark.parametrize("broker", BROKER_NAMES)
def test_twenty_stores_on_workers_end_whole_despite_killed_workers_and_scheduler(
        broker: str, db_url: str, tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    require_postgres(db_url)
    env = _env(tmp_path, db_url, broker)
    upgrade(db_url)
    run = HubRun(tmp_path, db_url, env)
    group = processes(env)
    started = time.monotonic()
    try:
        run.start_plain()
        run.wait_ready(run.alive, timeout=120)
        schedulers = {p.pid: p for p in (group.start("scheduler", "scheduler"), group.start("scheduler", "scheduler"))}
        workers = [group.start("worker", "worker"), group.start("worker", "worker")]
        takeover = None
        for kill in range(1, WORKER_KILLS + 1):
            wait_for(lambda k=kill: steps_done(run.db) >= k * STEP, 600, f"{kill * STEP} steps done", group.tail)
            group.kill(workers[0])
            workers[0] = group.start("worker", "worker")
            if kill == 2:
                takeover = _kill_the_active_scheduler(run, group, schedulers)
        run.wait_for(lambda: not run.unsettled(ORDERS), run.alive, 900, "the end of the flow")
        counts = check_end_state(run.db, run.url, STORES, HISTORY + NEW_ORDERS)
    finally:
        group.stop_all()
        run.close()
    print(f"{broker}: {dict(counts)} in {time.monotonic() - started:.0f} s")
    assert takeover is not None
    dead, standby = takeover
    assert standby.acquired_at <= dead.expires_at, "the standby took over only after the dead one's lease ran out"
    assert counts["supplier_orders"] >= ORDERS * 9 // 10


def _kill_the_active_scheduler(run: HubRun, group: Processes,
                               schedulers: dict[int, subprocess.Popen[bytes]]) -> tuple[Lease, Lease]:
    """SIGKILL the scheduler holding the lease; returns its last lease and the standby's."""
    def held_by(pids: set[int]) -> bool:
        lease = scheduler_lease(run.db)
        return lease is not None and lease.pid in pids

    wait_for(lambda: held_by(set(schedulers)), 30, "a scheduler holding the lease", group.tail)
    active = scheduler_lease(run.db)
    assert active is not None and active.pid is not None
    group.kill(schedulers[active.pid])
    dead = scheduler_lease(run.db)  # its last renewal: the lease it held when it died
    standby_pids = set(schedulers) - {active.pid}
    wait_for(lambda: held_by(standby_pids), 30, "the standby to take the lease", group.tail)
    standby = scheduler_lease(run.db)
    assert dead is not None and standby is not None
    return dead, standby
