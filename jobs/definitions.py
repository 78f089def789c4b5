"""The hub's jobs: `register_all` puts them in the registry; each body calls one service."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from hub.config import Settings
from hub.db.base import utcnow
from hub.db.models import JobRun
from hub.services import (
    anomalies,
    cancellation,
    fx,
    late,
    ledger,
    listings,
    outbox,
    payments,
    pull,
    purchase_orders,
    routing,
    stock_cover,
    store_sync,
    supplier_polling,
    webhooks,
)
from hub.services.intake import IntakeResult
from jobs.registry import JobSpec, registry

if TYPE_CHECKING:
    from hub.bootstrap import Hub

JOB_RUN_RETENTION = timedelta(days=30)


def pull_supplier_feeds(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """Pull the feeds of suppliers with a feed URL that are due (HUB_FEED_PULL_INTERVAL_SECONDS)."""
    from hub.services.feed_pull import pull_due_feeds

    return pull_due_feeds(hub)  # a client that fetches only allowed addresses, one hop at a time


def prune_job_runs(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """Keep the run history bounded: drop runs older than the retention window."""
    with hub.db.transaction() as session:
        result = session.execute(
            delete(JobRun).where(JobRun.started_at < utcnow() - JOB_RUN_RETENTION)
            .execution_options(synchronize_session=False)
        )
        return {"deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]



def _counts(result: IntakeResult) -> dict[str, int]:
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
            "stale": result.stale, "rejected": result.rejected}


def orders_pull(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return _counts(pull.pull_orders(hub, store_id))


def orders_reconcile(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return _counts(pull.reconcile_orders(hub, store_id))


def webhooks_sweep(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """With a broker, a fresh delivery is an intake worker's (woken on commit) until the relay grace."""
    grace = timedelta(seconds=hub.settings.relay_grace_seconds) if hub.settings.broker_url else timedelta(0)
    return webhooks.process_pending(hub, grace=grace)


def orders_route(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """Route paid new orders and stop supplier orders of cancelled ones."""
    counts = routing.route_pending(hub)
    cancelled = cancellation.cancel_open_supplier_orders(hub)
    return {**counts, **{f"cancel_{k}": v for k, v in cancelled.items()}}


def outbox_dispatch(hub: Hub, _store_id: int | None) -> dict[str, int]:
    return outbox.dispatch(hub)


def products_sync(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return listings.sync_listings(hub, store_id)


def suppliers_poll(hub: Hub, _store_id: int | None) -> dict[str, int]:
    return supplier_polling.poll_shipments(hub)


def shipments_watch(hub: Hub, _store_id: int | None) -> dict[str, int]:
    return late.flag_late(hub)


def write_purchase_orders(hub: Hub, _store_id: int | None) -> dict[str, int]:
    return purchase_orders.write_batches(hub)


def push_inventory(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return store_sync.push_inventory(hub, store_id)


def push_prices(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return store_sync.push_prices(hub, store_id)


def payments_pull(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return payments.pull_payments(hub, store_id)


def fx_pull(hub: Hub, _store_id: int | None) -> dict[str, int]:
    return fx.pull_url(hub)


def money_reconcile(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """Find money anomalies and put them on the attention list."""
    found = anomalies.reconcile(hub.db, tolerance_pct=hub.settings.supplier_cost_tolerance_pct,
                                grace=timedelta(minutes=hub.settings.unsent_order_grace_minutes),
                                reporting_currency=hub.settings.reporting_currency)
    return {"anomalies": len(found)}


def ledger_orders(hub: Hub, store_id: int | None) -> dict[str, int]:
    assert store_id is not None
    return ledger.record_changed_orders(hub.db, store_id)


def stock_running_out(hub: Hub, store_id: int | None) -> dict[str, int]:
    """Flag listings whose suppliers' stock lasts fewer days than the store's setting, close recovered ones."""
    assert store_id is not None
    return stock_cover.flag_running_out(hub, store_id)


def register_all(settings: Settings) -> None:
    """Register the jobs with intervals from settings (idempotent: known names are left alone)."""
    specs = [
        JobSpec("housekeeping.prune_job_runs", prune_job_runs, interval_seconds=3600, per_store=False),
        JobSpec("orders.pull", orders_pull, settings.orders_pull_interval_seconds),
        JobSpec("orders.reconcile", orders_reconcile, settings.orders_reconcile_interval_seconds),
        JobSpec("webhooks.sweep", webhooks_sweep, settings.webhook_sweep_interval_seconds, per_store=False),
        JobSpec("orders.route", orders_route, settings.route_interval_seconds, per_store=False),
        JobSpec("outbox.dispatch", outbox_dispatch, settings.outbox_interval_seconds, per_store=False),
        JobSpec("products.sync", products_sync, settings.products_sync_interval_seconds),
        JobSpec("suppliers.poll", suppliers_poll, settings.supplier_poll_interval_seconds, per_store=False),
        JobSpec("shipments.watch", shipments_watch, interval_seconds=3600, per_store=False),
        JobSpec("suppliers.pull_feed", pull_supplier_feeds, interval_seconds=300, per_store=False),
        JobSpec("store.push_inventory", push_inventory, settings.push_interval_seconds),
        JobSpec("store.push_prices", push_prices, settings.push_interval_seconds),
        JobSpec("suppliers.write_purchase_orders", write_purchase_orders,
                settings.purchase_order_interval_seconds, per_store=False),
        JobSpec("payments.pull", payments_pull, settings.payments_pull_interval_seconds),
        JobSpec("ledger.orders", ledger_orders, settings.ledger_interval_seconds, platforms=("shopify", "manual")),
        JobSpec("fx.pull", fx_pull, settings.fx_pull_interval_seconds, per_store=False),
        JobSpec("money.reconcile", money_reconcile, interval_seconds=3600, per_store=False),
        JobSpec("stock.cover", stock_running_out, interval_seconds=3600),
    ]
    known = set(registry.names())
    for spec in specs:
        if spec.name not in known:
            registry.register(spec)
