"""The scheduler's fan-out, on both backends: one task per active store or per supplier, ids only,
each expiring unstarted after its interval; a supplier job already running for a supplier is not
run twice."""

from __future__ import annotations

from pathlib import Path

from hub.bootstrap import Hub
from hub.db.models import Store, Supplier
from hub.tasks.app import make_app
from hub.tasks.scheduler import fan_out
from hub.tasks.supplier_jobs import run_for_supplier
from jobs import leases
from jobs.definitions import register_all
from jobs.registry import registry
from tests.conftest import make_settings


class _Broker:
    """Stands in for the broker connection: records what would be sent."""

    def __init__(self, tmp_path: Path) -> None:
        self.conf = make_app("redis://127.0.0.1:1/0", make_settings(tmp_path)).conf
        self.sent: list[tuple[str, list[object], str]] = []
        self.expires: list[float | None] = []

    def send_task(self, name: str, args: list[object], queue: str, expires: float | None = None) -> None:
        self.sent.append((name, args, queue))
        self.expires.append(expires)


def _seed(hub: Hub) -> tuple[list[int], list[int]]:
    with hub.db.transaction() as session:
        stores = [Store(platform="shopify", name=f"s{i}", shop_domain=f"f{i}.myshopify.com", currency="USD",
                        settings={}, status=status) for i, status in enumerate(["active", "active", "disconnected"])]
        suppliers = [Supplier(code=f"p{i}", name=f"P{i}", kind=kind, currency="USD", config={}, active=active)
                     for i, (kind, active) in enumerate([("sandbox", True), ("sandbox", False), ("csv_po", True)])]
        session.add_all([*stores, *suppliers])
        session.flush()
        return [s.id for s in stores], [s.id for s in suppliers]


def test_per_store_and_per_supplier_jobs_fan_out_over_the_active_ones(hub: Hub, tmp_path: Path) -> None:
    stores, suppliers = _seed(hub)
    register_all(hub.settings)
    broker = _Broker(tmp_path)
    assert fan_out(hub, broker, registry.get("orders.pull")) == 2  # type: ignore[arg-type]
    assert fan_out(hub, broker, registry.get("suppliers.poll")) == 1  # type: ignore[arg-type]
    assert fan_out(hub, broker, registry.get("orders.route")) == 1  # type: ignore[arg-type]
    assert broker.sent == [("hub.job", ["orders.pull", stores[0]], "intake"),
                           ("hub.job", ["orders.pull", stores[1]], "intake"),
                           ("hub.supplier_job", ["suppliers.poll", suppliers[0]], "placement"),
                           ("hub.job", ["orders.route", None], "routing")]
    # A firing not started within its interval (at least 30 s) is dropped: the next brings another.
    intervals = [hub.settings.orders_pull_interval_seconds] * 2 + [hub.settings.supplier_poll_interval_seconds,
                                                                   hub.settings.route_interval_seconds]
    assert broker.expires == [max(30.0, interval) for interval in intervals]


def test_a_supplier_job_running_elsewhere_is_skipped(hub: Hub) -> None:
    _stores, suppliers = _seed(hub)
    scope = f"supplier:{suppliers[0]}"
    assert leases.acquire(hub.db, "suppliers.poll", scope, "another-worker", 300)
    assert run_for_supplier(hub, "suppliers.poll", suppliers[0]) == "skipped"
    leases.release(hub.db, "suppliers.poll", scope, "another-worker")
    assert run_for_supplier(hub, "suppliers.poll", suppliers[0]) == "ok"
