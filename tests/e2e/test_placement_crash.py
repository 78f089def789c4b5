"""Exactly-once placement while the worker is SIGKILLed at random moments.

300 supplier orders are placed at the sandbox supplier, which runs as its own process and
counts what it receives; the worker process (`hub jobs run outbox.dispatch --loop`) is killed 12
times at random moments and restarted. Afterwards the supplier holds exactly one order per
reference, and the hub knows every one of them as accepted.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.models import Offer, OutboxMessage, Store, Supplier, SupplierOrder
from hub.domain.orders import OrderLineIn
from hub.services.intake import ingest_orders
from hub.services.routing import route_pending
from tests.conftest import make_settings
from tests.e2e.sandbox_run import Launcher
from tests.factories import make_order
from tests.live import free_port

ORDERS = 300  # the seeded kills come after 232 placements in all
KILLS = 12

pytestmark = pytest.mark.slow
pytest.importorskip("connectors.suppliers.sandbox", reason="the sandbox supplier is not built yet")


@pytest.fixture
def supplier_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.suppliers.sandbox", "--host", "127.0.0.1", "--port", str(port),
         "--ship-after", "-1", "--products", "20"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/_stats", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    try:
        yield url
    finally:
        process.kill()
        process.wait(10)


def _prepare(hub: Hub, supplier_url: str) -> None:
    with hub.db.transaction() as session:
        store = Store(platform="shopify", name="s", shop_domain="s.myshopify.com", currency="USD", settings={})
        supplier = Supplier(code="sbx", name="Sandbox", kind="sandbox", currency="USD",
                            config={"base_url": supplier_url})
        session.add_all([store, supplier])
        session.flush()
        store_id, supplier_id = store.id, supplier.id
        for product in range(1, 21):
            session.add(Offer(supplier_id=supplier_id, supplier_sku=f"SBX-{product:04d}-1", cost=Decimal("5.00"),
                              shipping_cost=Decimal("1.00"), currency="USD", stock=100_000, countries=[]))
    orders = []
    for i in range(ORDERS):
        base = make_order(f"c{i}")
        line = OrderLineIn(external_id=f"c{i}-1", sku=f"SBX-{i % 20 + 1:04d}-1", title="x", quantity=1,
                           unit_price=Decimal("20.00"))
        orders.append(replace(base, lines=(line,)))
    for start in range(0, ORDERS, 250):
        ingest_orders(hub.db, store_id, orders[start:start + 250], "test")
    routed = route_pending(hub, limit=ORDERS)
    assert routed == {"routed": ORDERS}


def _wait_until_settled_at_least(hub: Hub, settled: int, deadline: float) -> None:
    while ORDERS - _unsettled(hub) < min(settled, ORDERS) and time.monotonic() < deadline:
        time.sleep(0.02)  # polling the observable state, not pacing the test


def _outbox_open(hub: Hub) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.state != "done")).scalar_one())


def _unsettled(hub: Hub) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(SupplierOrder).where(
            SupplierOrder.state != "accepted")).scalar_one())


def test_each_supplier_order_reaches_the_supplier_exactly_once(db_url: str, tmp_path: Path,
                                                               supplier_server: str) -> None:
    from hub.db.engine import Database
    from hub.db.migrate import upgrade

    key = Fernet.generate_key()
    database = Database(db_url)
    upgrade(database.engine)
    settings = make_settings(tmp_path, secret_key=key.decode())
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(key))
    _prepare(hub, supplier_server)

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_DATABASE_URL": db_url, "HUB_SECRET_KEY": key.decode(), "HUB_ADMIN_TOKEN": "x",
                "HUB_OUTBOX_LEASE_SECONDS": "1", "HUB_JOB_LEASE_SECONDS": "1", "HUB_VAR_DIR": str(tmp_path / "var")})
    command = ["jobs", "run", "outbox.dispatch", "--loop", "--interval", "0.05"]
    launcher = Launcher(env, tmp_path)  # each worker forked from one that imported the hub already
    log = tmp_path / "worker.log"
    rng = random.Random(20261122)
    kills = 0
    deadline = time.monotonic() + 600  # a safety net: about a minute on an idle machine
    try:
        while kills < KILLS and _unsettled(hub) and time.monotonic() < deadline:
            worker = launcher.start(log, *command)
            # Killed mid-work, whatever the machine's speed: after it has placed a random number of
            # orders more (an observable state), never after a guessed start-up time.
            _wait_until_settled_at_least(hub, ORDERS - _unsettled(hub) + rng.randint(5, 30), deadline)
            os.kill(worker, signal.SIGKILL)
            launcher.reap(worker)
            kills += 1
        worker = launcher.start(log, *command)
        # settled means the supplier orders accepted AND their outbox messages marked done: the worker
        # records the two in turn, so stopping it between them would leave a message for the next run
        while (_unsettled(hub) or _outbox_open(hub)) and time.monotonic() < deadline:
            time.sleep(0.5)
        os.kill(worker, signal.SIGTERM)
        launcher.reap(worker)
    finally:
        launcher.close()
        hub.close()
    assert kills == KILLS, "the placements finished before all kills happened: make the run longer"
    stats = httpx.get(f"{supplier_server}/_stats", timeout=10).json()
    assert stats["duplicates"] == []
    assert stats["orders_created"] == ORDERS
    assert len(stats["orders_per_reference"]) == ORDERS
    assert set(stats["orders_per_reference"].values()) == {1}
    database = Database(db_url)
    with database.transaction() as session:
        states = dict(session.execute(select(SupplierOrder.state, func.count()).group_by(SupplierOrder.state)).all())
        outbox_states = dict(session.execute(select(OutboxMessage.state, func.count())
                                             .group_by(OutboxMessage.state)).all())
        attempts = session.execute(select(func.sum(SupplierOrder.place_attempts))).scalar_one()
    database.dispose()
    assert states == {"accepted": ORDERS}
    assert outbox_states == {"done": ORDERS}
    # The kills did land mid-placement: some orders were claimed more than once (and still sent once).
    assert attempts > ORDERS, attempts
