"""What an admin does with webhook deliveries: see them by status, and retry one that is stuck.

Shared by `hub webhooks …` and `/api/v1/webhooks`. A retry puts the delivery back to `received`
with its attempts reset and processes it at once; what it says then is the delivery's new state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import WebhookDelivery
from hub.errors import BadRequest, Conflict, NotFound
from hub.services import webhook_outcomes as outcomes
from hub.services import webhooks

if TYPE_CHECKING:
    from hub.bootstrap import Hub

STATUSES = ("received", "processing", "processed", "error")
MAX_LIST = 500


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    store_id: int
    webhook_id: str
    topic: str
    status: str
    attempts: int
    error: str | None
    received_at: datetime
    processed_at: datetime | None
    next_attempt_at: datetime | None

    def as_json(self) -> dict[str, object]:
        times = ("received_at", "processed_at", "next_attempt_at")
        return {name: (value.isoformat() if name in times and value is not None else value)
                for name in self.__slots__ for value in [getattr(self, name)]}


def _view(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(id=row.id, store_id=row.store_id, webhook_id=row.webhook_id, topic=row.topic,
                        status=row.status, attempts=row.attempts, error=row.error, received_at=row.received_at,
                        processed_at=row.processed_at, next_attempt_at=row.next_attempt_at)


def list_deliveries(db: Database, status: str | None = None, limit: int = 50) -> list[DeliveryView]:
    """Newest first, optionally of one status."""
    if status is not None and status not in STATUSES:
        raise BadRequest(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")
    if not 1 <= limit <= MAX_LIST:
        raise BadRequest(f"limit must be between 1 and {MAX_LIST}")
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    with db.transaction() as session:
        return [_view(row) for row in session.execute(query).scalars()]


def get_delivery(db: Database, delivery_id: int) -> DeliveryView:
    with db.transaction() as session:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        return _view(row)


def retry(hub: Hub, delivery_id: int) -> DeliveryView:
    """Queue a delivery in `error`, waiting in `received`, or stuck in `processing` again, and process it now."""
    now = utcnow()
    current = get_delivery(hub.db, delivery_id)
    stuck = and_(WebhookDelivery.status == "processing",
                 or_(WebhookDelivery.claimed_at.is_(None),
                     WebhookDelivery.claimed_at < now - outcomes.STUCK_AFTER))
    with hub.db.transaction() as session:
        queued = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id,
                   or_(WebhookDelivery.status.in_(["error", "received"]), stuck))
            .values(status="received", attempts=0, next_attempt_at=None, error=None, processed_at=None)
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if queued != 1:
        if current.status == "processed":
            raise Conflict(f"webhook delivery {delivery_id} is already processed")
        raise Conflict(f"webhook delivery {delivery_id} is being processed right now; "
                       f"if it stays so, retry after {int(outcomes.STUCK_AFTER.total_seconds() // 60)} minutes")
    webhooks.process(hub, delivery_id)
    return get_delivery(hub.db, delivery_id)
