"""The relay: republish outbox messages that are due and nobody works on.

A message published on commit may be lost (broker down, a worker killed before it claimed it) and
a retried one waits for its backoff; either way the row says it is pending, due and unleased.
Retried rows (attempts > 0) are republished as soon as they are due; fresh ones after the grace
(`HUB_RELAY_GRACE_SECONDS`) so the wake-up sent on commit has its chance first. A duplicate wake-up
is harmless: the task claims the row before it acts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import OutboxMessage

logger = logging.getLogger(__name__)

RELAY_BATCH = 1000


def overdue_messages(db: Database, grace: timedelta, now: datetime | None = None,
                     limit: int = RELAY_BATCH) -> list[tuple[int, str]]:
    """(id, kind) of pending messages that are due and unleased, past the grace when never tried."""
    now = now or utcnow()
    query = (select(OutboxMessage.id, OutboxMessage.kind)
             .where(OutboxMessage.state == "pending", OutboxMessage.available_at <= now,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                    or_(OutboxMessage.attempts > 0,
                        and_(OutboxMessage.attempts == 0, OutboxMessage.available_at <= now - grace)))
             .order_by(OutboxMessage.id).limit(limit))
    with db.read() as session:
        return [(int(row.id), str(row.kind)) for row in session.execute(query)]


def relay(db: Database, publish: Callable[[list[tuple[int, str]]], None], grace: timedelta) -> int:
    """Republish the overdue messages; returns how many."""
    messages = overdue_messages(db, grace)
    if messages:
        publish(messages)
        logger.info("outbox relay republished", extra={"messages": len(messages)})
    return len(messages)
