"""`hub run --sandbox` as real processes, for the restart and crash tests: a scenario that ends (a
fixed number of orders, then the shop stops selling), fast job intervals, starting and killing the
process, and what the database and the sandboxes show afterwards.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import SandboxConfig
from hub.db.engine import Database
from hub.db.migrate import upgrade as migrate
from hub.db.models import Order, OrderLine, OutboxMessage, Shipment, Supplier, SupplierOrder, SupplierOrderLine
from tests.live import free_port

TOKEN = "sandbox-restart-test-token"
SHOP_ORDERS = """query ShopView($after: String) { orders(first: 50, after: $after) {
  nodes { id name displayFulfillmentStatus fulfillments { trackingInfo { number } } }
  pageInfo { hasNextPage endCursor } } }"""
LAUNCHER = Path(__file__).with_name("hub_launcher.py")
SHOP = SandboxConfig()


@dataclass(frozen=True)
class ShopOrder:
    id: str
    fulfillment_status: str  # FULFILLED, UNFULFILLED, PARTIALLY_FULFILLED
    tracking_numbers: list[str]


def scenario_env(workdir: Path, db_url: str, history: int, new_orders: int) -> dict[str, str]:
    """A hub that sells `history` + `new_orders` orders quickly, then stops; every job runs often."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({
        "HUB_DATABASE_URL": db_url, "HUB_VAR_DIR": str(workdir / "var"), "HUB_ADMIN_TOKEN": TOKEN,
        "HUB_SECRET_KEY": Fernet.generate_key().decode(), "HUB_LOG_LEVEL": "WARNING",
        "HUB_SANDBOX_HISTORY_ORDERS": str(history), "HUB_SANDBOX_MAX_ORDERS": str(history + new_orders),
        "HUB_SANDBOX_ORDERS_PER_MINUTE": "120", "HUB_SANDBOX_TICK_SECONDS": "0.5",
        "HUB_SANDBOX_SHIP_AFTER_SECONDS": "1", "HUB_SANDBOX_SHOP_RESTORE_RATE": "5000",
        # Webhooks bring the orders; the pull is the safety net (its reads share the shop's budget).
        "HUB_ORDERS_PULL_INTERVAL_SECONDS": "2", "HUB_ORDERS_PULL_OVERLAP_SECONDS": "10",
        "HUB_ROUTE_INTERVAL_SECONDS": "0.5", "HUB_OUTBOX_INTERVAL_SECONDS": "0.5",
        "HUB_SUPPLIER_POLL_INTERVAL_SECONDS": "1", "HUB_LEDGER_INTERVAL_SECONDS": "2",
        "HUB_PAYMENTS_PULL_INTERVAL_SECONDS": "3", "HUB_PAYMENTS_LOOKBACK_DAYS": "60",
        # A killed process keeps its job leases this long (until leases die with their process).
        "HUB_JOB_LEASE_SECONDS": "2", "HUB_OUTBOX_LEASE_SECONDS": "2",
    })
    return env


def upgrade(db_url: str) -> None:
    """`hub db upgrade`, in this process (one interpreter start less per test)."""
    database = Database(db_url)
    try:
        migrate(database.engine)
    finally:
        database.dispose()


class Launcher:
    """Forks `hub run` processes from one that imported the hub already (see hub_launcher.py)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen([sys.executable, str(LAUNCHER)], cwd=cwd, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _ask(self, line: str) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def start(self, log: Path, *argv: str) -> int:
        return self._ask(" ".join(["start", str(log), *argv]))

    def reap(self, pid: int) -> int:
        return self._ask(f"wait {pid}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(10)


@dataclass
class HubRun:
    """One hub: its folder, database, port; started and stopped as processes."""

    workdir: Path
    db_url: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    plain: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.db = Database(self.db_url)
        self.log = self.workdir / "run.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return ["run", "--sandbox", "--port", str(self.port)]

    def start_plain(self) -> None:
        """`python -m hub run --sandbox`, as `make run` does."""
        with self.log.open("ab") as log:
            self.plain = subprocess.Popen([sys.executable, "-m", "hub", *self.argv()], cwd=self.workdir,
                                          env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.plain is not None and self.plain.poll() is None

    def stop_plain(self, sig: int = signal.SIGTERM) -> int:
        assert self.plain is not None
        self.plain.send_signal(sig)
        return self.plain.wait(30)

    def wait_ready(self, alive: Callable[[], bool], timeout: float = 60) -> None:
        """Until /healthz answers (the sandboxes are connected before the server listens)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert alive(), f"hub run exited:\n{self.tail()}"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"hub run did not answer within {timeout} s:\n{self.tail()}")

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def close(self) -> None:
        if self.alive():
            self.stop_plain(signal.SIGKILL)
        self.db.dispose()

    # -- what the database shows ---------------------------------------------------------------

    def progress(self) -> Counter[str]:
        """Counters that only grow while the flow goes on: each kind of work done so far."""
        with self.db.transaction() as s:
            return Counter({
                "orders": s.execute(select(func.count()).select_from(Order)).scalar_one(),
                "routed": s.execute(select(func.count()).select_from(Order).where(
                    Order.status.not_in(["new", "routing"]))).scalar_one(),
                "placed": s.execute(select(func.count()).select_from(SupplierOrder).where(
                    SupplierOrder.placed_at.is_not(None))).scalar_one(),
                "shipped": s.execute(select(func.count()).select_from(Shipment)).scalar_one(),
                "fulfilled": s.execute(select(func.count()).select_from(Shipment).where(
                    Shipment.remote_fulfillment_id.is_not(None))).scalar_one(),
            })

    def unsettled(self, orders: int) -> list[str]:
        """What is still to do before the scenario's end (empty: all done)."""
        with self.db.transaction() as s:
            todo = []
            count = s.execute(select(func.count()).select_from(Order)).scalar_one()
            if count < orders:
                todo.append(f"{count} of {orders} orders")
            waiting = s.execute(select(func.count()).select_from(Order).where(
                Order.status.in_(["new", "routing"]))).scalar_one()
            open_orders = s.execute(select(func.count()).select_from(SupplierOrder).where(
                SupplierOrder.state.not_in(["shipped", "delivered", "failed", "cancelled"]))).scalar_one()
            outbox = s.execute(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.state == "pending")).scalar_one()
            unfulfilled = s.execute(select(func.count()).select_from(Shipment).where(
                Shipment.remote_fulfillment_id.is_(None))).scalar_one()
            for name, value in (("orders to route", waiting), ("supplier orders open", open_orders),
                                ("outbox rows", outbox), ("parcels not fulfilled", unfulfilled)):
                if value:
                    todo.append(f"{value} {name}")
            return todo

    def wait_for(self, what: Callable[[], bool], alive: Callable[[], bool], timeout: float, why: str) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert alive(), f"hub run exited while waiting for {why}:\n{self.tail()}"
            assert time.monotonic() < deadline, f"no {why} within {timeout} s:\n{self.tail()}"
            time.sleep(0.05)

    def settle(self, orders: int, alive: Callable[[], bool], timeout: float = 180) -> None:
        """Until everything is done and the money jobs ran once more after that."""
        self.wait_for(lambda: not self.unsettled(orders), alive, timeout, "end of the flow")
        since = time.time()
        self.wait_for(lambda: self._ran_since(since, ("ledger.orders", "payments.pull", "orders.pull")), alive,
                      timeout, "money jobs after the end")
        assert not self.unsettled(orders)

    def _ran_since(self, since: float, jobs: tuple[str, ...]) -> bool:
        from datetime import UTC, datetime

        from hub.db.models import JobRun

        moment = datetime.fromtimestamp(since, UTC)
        with self.db.transaction() as s:
            done = set(s.execute(select(JobRun.job).where(JobRun.job.in_(jobs), JobRun.started_at > moment,
                                                          JobRun.status == "ok")).scalars())
        return done == set(jobs)

    # -- the final state, comparable between runs ----------------------------------------------

    def shop_orders(self) -> dict[str, ShopOrder]:
        """The shop's own orders by name, read through its Admin API (a light query: the hub shares
        the shop's cost budget)."""
        found: dict[str, ShopOrder] = {}
        after = None
        with ShopifyClient(SHOP.shop_domain, SHOP.access_token, base_url=f"{self.url}/sandbox/shopify") as client:
            while True:
                page = client.execute(SHOP_ORDERS, {"after": after})["orders"]
                for node in page["nodes"]:
                    assert node["name"] not in found, f"the shop has two orders named {node['name']}"
                    found[node["name"]] = ShopOrder(
                        node["id"].rpartition("/")[2], node["displayFulfillmentStatus"],
                        [t["number"] for f in node["fulfillments"] for t in f["trackingInfo"]])
                if not page["pageInfo"]["hasNextPage"]:
                    return found
                after = page["pageInfo"]["endCursor"]

    def supplier_books(self) -> dict[str, dict[str, Any]]:
        """Each sandbox supplier's orders as it keeps them: reference → its record."""
        books: dict[str, dict[str, Any]] = {}
        with self.db.transaction() as s:
            codes = list(s.execute(select(Supplier.code).where(Supplier.kind == "sandbox")).scalars())
        for code in codes:
            base = f"{self.url}/sandbox/suppliers/{code}"
            stats = httpx.get(f"{base}/_stats", timeout=10).json()
            assert stats["duplicates"] == [], (code, stats["duplicates"])
            books[code] = {ref: httpx.get(f"{base}/orders/{ref}", timeout=10).json()
                           for ref in stats["orders_per_reference"]}
            assert set(stats["orders_per_reference"].values()) <= {1}
        return books

    def final_state(self) -> dict[str, Any]:
        """Per order name: the hub's order, its supplier orders as the suppliers hold them, the
        shop's fulfillments, and the order's ledger and profit. Ids are left out: they differ
        between runs (the shop hands out ids to orders and fulfillments as they happen)."""
        auth = {"Authorization": f"Bearer {TOKEN}"}
        with self.db.transaction() as s:
            orders = s.execute(select(Order.id, Order.name, Order.external_id)).all()
            names = Counter(name for _, name, _ in orders)
            assert [n for n, c in names.items() if c > 1] == [], "an order is in the hub twice"
            hub_supplier_orders = s.execute(
                select(Order.name, Supplier.code, SupplierOrder.reference, SupplierOrder.state)
                .join(SupplierOrder, SupplierOrder.order_id == Order.id)
                .join(Supplier, Supplier.id == SupplierOrder.supplier_id)).all()
            so_lines = Counter((ref, sku, qty) for ref, sku, qty in s.execute(
                select(SupplierOrder.reference, SupplierOrderLine.supplier_sku, SupplierOrderLine.quantity)
                .join(SupplierOrderLine, SupplierOrderLine.supplier_order_id == SupplierOrder.id)).all())
            lines = s.execute(select(Order.name, OrderLine.sku, OrderLine.quantity, OrderLine.routing_status)
                              .join(OrderLine, OrderLine.order_id == Order.id)).all()
        assert so_lines  # placed something
        books = self.supplier_books()
        at_suppliers = {(code, ref): record for code, records in books.items() for ref, record in records.items()}
        hub_refs = {(code, ref) for _, code, ref, _ in hub_supplier_orders}
        assert set(at_suppliers) == hub_refs, "the suppliers and the hub disagree on what was ordered"
        per_order_supplier = Counter((name, code) for name, code, _, _ in hub_supplier_orders)
        assert [k for k, c in per_order_supplier.items() if c > 1] == [], "two supplier orders for one order"
        shop = self.shop_orders()
        assert len(shop) == len(orders) and set(shop) == set(names), "the shop and the hub disagree on orders"
        state: dict[str, Any] = {}
        for order_id, name, external_id in orders:
            assert shop[name].id == external_id
            detail = httpx.get(f"{self.url}/api/v1/orders/{order_id}", headers=auth, timeout=10).json()
            parcels = []
            supplier_orders = []
            for o_name, code, ref, so_state in hub_supplier_orders:
                if o_name != name:
                    continue
                record = at_suppliers[(code, ref)]
                assert record["state"] == "shipped" and so_state in ("shipped", "delivered"), (name, ref, so_state)
                parcels += [p["tracking_number"] for p in record["shipments"]]
                supplier_orders.append((code, record["state"], sorted((ln["sku"], ln["quantity"])
                                                                      for ln in record["lines"])))
            tracked = shop[name].tracking_numbers
            assert len(tracked) == len(set(tracked)), f"{name}: a parcel fulfilled twice at the shop"
            assert set(parcels) <= set(tracked), f"{name}: a shipped parcel never fulfilled at the shop"
            state[name] = {
                "status": detail["status"], "financial_status": detail["financial_status"],
                "fulfillment_status": detail["fulfillment_status"],
                "shop_fulfillment": shop[name].fulfillment_status,
                "lines": sorted((sku or "", qty, routing) for o_name, sku, qty, routing in lines if o_name == name),
                "supplier_orders": sorted(supplier_orders),
                "ledger": sorted((e["kind"], e["amount"], e["currency"], e["estimated"]) for e in detail["ledger"]),
                "profit": {k: v for k, v in (detail["profit"] or {}).items() if k not in ("key", "ref")},
            }
        return state
