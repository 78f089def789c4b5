"""How each connected store is doing, for the stores page: last pull, webhooks in the last 24 hours,
last error and what still waits to go out.

A handful of grouped queries for all stores at once (never one per store), each on an indexed
column, so the page costs the same with one store as with fifty. The outbox holds no store id:
a message names its supplier order (placing, cancelling) or its shipment (fulfilling), and the
store is reached through them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hub.db.models import JobRun, Order, OutboxMessage, Shipment, Store, SupplierOrder, SyncCursor, WebhookDelivery
from hub.domain.outbox_kinds import OutboxKind
from hub.services.pull import ORDERS_CURSOR

if TYPE_CHECKING:
    from hub.db.engine import Database

PULL_JOB = "orders.pull"
UNDELIVERED = ("pending", "failed")
WEBHOOK_WINDOW = timedelta(hours=24)
ERROR_CHARS = 300


@dataclass
class StoreHealth:
    store_id: int
    last_pull_at: datetime | None = None  # the last orders.pull run's start
    last_pull_status: str | None = None  # running | ok | error
    orders_through: str | None = None  # the pull cursor: orders updated up to then are in
    webhooks_24h: int = 0
    webhook_errors_24h: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_error_source: str | None = None  # the job's name, or "webhook <topic>"
    backlog: int = 0  # outbox messages for the store not delivered yet
    backlog_failed: int = 0  # of those, the ones that gave up

    @property
    def words(self) -> str:
        """One word for the list: what a person should look at first."""
        if self.backlog_failed or self.last_pull_status == "error":
            return "needs a look"
        if self.last_pull_at is None:
            return "not pulled yet"
        return "healthy"


def store_health(db: Database, now: datetime, store_ids: list[int] | None = None) -> dict[int, StoreHealth]:
    """Health of the given stores (default: every store), by store id."""
    with db.read() as session:
        ids = store_ids if store_ids is not None else list(
            session.execute(select(Store.id).order_by(Store.id)).scalars())
        found = {store_id: StoreHealth(store_id) for store_id in ids}
        if not ids:
            return found
        _last_pulls(session, found)
        _cursors(session, found)
        _webhooks(session, found, now - WEBHOOK_WINDOW)
        _job_errors(session, found)
        _webhook_errors(session, found)
        _backlog(session, found)
    return found


def _last_pulls(session: Session, found: dict[int, StoreHealth]) -> None:
    latest = (select(func.max(JobRun.id).label("id")).where(JobRun.job == PULL_JOB, JobRun.store_id.in_(found))
              .group_by(JobRun.store_id).subquery())
    for store_id, started, status in session.execute(
            select(JobRun.store_id, JobRun.started_at, JobRun.status).join(latest, latest.c.id == JobRun.id)):
        assert store_id is not None  # only runs of the given stores were asked for
        found[store_id].last_pull_at, found[store_id].last_pull_status = started, status


def _cursors(session: Session, found: dict[int, StoreHealth]) -> None:
    for store_id, value in session.execute(select(SyncCursor.store_id, SyncCursor.value).where(
            SyncCursor.name == ORDERS_CURSOR, SyncCursor.store_id.in_(found))):
        found[store_id].orders_through = value


def _webhooks(session: Session, found: dict[int, StoreHealth], since: datetime) -> None:
    errors = func.sum(case((WebhookDelivery.status == "error", 1), else_=0))
    for store_id, count, failed in session.execute(
            select(WebhookDelivery.store_id, func.count(), errors)
            .where(WebhookDelivery.store_id.in_(found), WebhookDelivery.received_at >= since)
            .group_by(WebhookDelivery.store_id)):
        found[store_id].webhooks_24h, found[store_id].webhook_errors_24h = int(count), int(failed or 0)


def _note_error(health: StoreHealth, at: datetime | None, text: str | None, source: str) -> None:
    if at is not None and (health.last_error_at is None or at > health.last_error_at):
        health.last_error_at, health.last_error_source = at, source
        health.last_error = (text or "no message").splitlines()[0][:ERROR_CHARS]


def _job_errors(session: Session, found: dict[int, StoreHealth]) -> None:
    latest = (select(func.max(JobRun.id).label("id")).where(JobRun.status == "error", JobRun.store_id.in_(found))
              .group_by(JobRun.store_id).subquery())
    for store_id, job, at, error in session.execute(
            select(JobRun.store_id, JobRun.job, func.coalesce(JobRun.finished_at, JobRun.started_at), JobRun.error)
            .join(latest, latest.c.id == JobRun.id)):
        assert store_id is not None
        _note_error(found[store_id], at, error, job)


def _webhook_errors(session: Session, found: dict[int, StoreHealth]) -> None:
    latest = (select(func.max(WebhookDelivery.id).label("id"))
              .where(WebhookDelivery.status == "error", WebhookDelivery.store_id.in_(found))
              .group_by(WebhookDelivery.store_id).subquery())
    for store_id, topic, at, error in session.execute(
            select(WebhookDelivery.store_id, WebhookDelivery.topic,
                   func.coalesce(WebhookDelivery.processed_at, WebhookDelivery.received_at), WebhookDelivery.error)
            .join(latest, latest.c.id == WebhookDelivery.id)):
        _note_error(found[store_id], at, error, f"webhook {topic}")


def _backlog(session: Session, found: dict[int, StoreHealth]) -> None:
    failed = func.sum(case((OutboxMessage.state == "failed", 1), else_=0))
    waiting = OutboxMessage.state.in_(UNDELIVERED)
    by_supplier_order = (
        select(Order.store_id, func.count(), failed)
        .select_from(OutboxMessage)
        .join(SupplierOrder, SupplierOrder.id == OutboxMessage.payload["supplier_order_id"].as_integer())
        .join(Order, Order.id == SupplierOrder.order_id)
        .where(waiting, OutboxMessage.kind.in_((OutboxKind.PLACE.value, OutboxKind.CANCEL.value)),
               Order.store_id.in_(found))
        .group_by(Order.store_id))
    by_shipment = (
        select(Order.store_id, func.count(), failed)
        .select_from(OutboxMessage)
        .join(Shipment, Shipment.id == OutboxMessage.payload["shipment_id"].as_integer())
        .join(SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id)
        .join(Order, Order.id == SupplierOrder.order_id)
        .where(waiting, OutboxMessage.kind == OutboxKind.FULFIL.value, Order.store_id.in_(found))
        .group_by(Order.store_id))
    for query in (by_supplier_order, by_shipment):
        for store_id, count, gave_up in session.execute(query):
            found[store_id].backlog += int(count)
            found[store_id].backlog_failed += int(gave_up or 0)
