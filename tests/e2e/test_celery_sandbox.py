"""The whole sandbox flow on Celery: `hub run --sandbox` (the API, webhooks, and the emulated shop
and suppliers), `hub scheduler` and two `hub worker`s as separate processes, on PostgreSQL with
Redis and with RabbitMQ. A worker is SIGKILLed (with its pool) three times, each right after an
observed step (a supplier order placed, a parcel shipped, a parcel fulfilled), and started again;
the flow ends with every shop order once in the hub, one supplier order per (order, supplier) at
the suppliers, no duplicate there, and every shipped parcel fulfilled once at the shop.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.e2e.celery_support import broker_url, processes, require_postgres, wait_for
from tests.e2e.sandbox_run import HubRun, scenario_env, upgrade

pytestmark = pytest.mark.slow
_ = processes  # fixture

HISTORY, NEW_ORDERS = 2, 16


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_the_sandbox_flow_on_workers_ends_whole_despite_killed_workers(
        broker: str, db_url: str, tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    require_postgres(db_url)
    env = scenario_env(tmp_path, db_url, HISTORY, NEW_ORDERS)
    env.update({"HUB_BROKER_URL": broker_url(broker), "HUB_BROKER_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:10]}.",
                "HUB_JOB_HEARTBEAT_SECONDS": "0.5", "HUB_RELAY_GRACE_SECONDS": "2",
                "HUB_FEED_ALLOW_PRIVATE_URLS": "true"})
    upgrade(db_url)
    run = HubRun(tmp_path, db_url, env)
    group = processes(env)
    try:
        run.start_plain()
        run.wait_ready(run.alive)
        group.start("scheduler", "scheduler")
        workers = [group.start("worker", "worker"), group.start("worker", "worker")]
        for stage in ("placed", "shipped", "fulfilled"):
            wait_for(lambda s=stage: run.progress()[s] >= 2, 90, f"a {stage} step", group.tail)
            group.kill(workers[0])
            workers[0] = group.start("worker", "worker")
        run.settle(HISTORY + NEW_ORDERS, run.alive, timeout=120)
        state = run.final_state()
    finally:
        group.stop_all()
        run.close()
    assert len(state) == HISTORY + NEW_ORDERS
    assert any(order["supplier_orders"] for order in state.values())
