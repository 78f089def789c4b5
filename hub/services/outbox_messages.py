"""Writing outbox messages, and what a handler answers: the part every use case may import.

`enqueue` runs inside the caller's transaction (same commit or none). Delivery lives in
`hub/services/outbox.py`, which imports the handler table; keeping these apart is what lets a
handler import this module without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import OutboxMessage
from hub.db.sql import insert_ignore
from hub.domain.outbox_kinds import OutboxKind
from hub.services import wakeups

if TYPE_CHECKING:
    from hub.bootstrap import Hub

MAX_ATTEMPTS = 12
BACKOFF_CAP = timedelta(hours=1)


@dataclass(frozen=True)
class Done:
    note: str = ""


@dataclass(frozen=True)
class Retry:
    reason: str
    after: timedelta | None = None  # None: exponential backoff by attempt


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Done | Retry | Failed
Handler = Callable[["Hub", dict[str, Any]], Outcome]


def enqueue(session: Session, kind: OutboxKind, key: str, payload: dict[str, Any],
            available_at: datetime | None = None) -> bool:
    """Add a message in the caller's transaction; a second message with the same key is ignored."""
    kind = OutboxKind(kind)  # an unknown kind is a bug: refuse it before it reaches the table
    now = utcnow()
    inserted = insert_ignore(session, OutboxMessage.__table__,  # type: ignore[arg-type]
                             [{"kind": kind.value, "idempotency_key": key, "payload": payload, "state": "pending",
                               "attempts": 0, "available_at": available_at or now, "created_at": now}],
                             conflict=["idempotency_key"])
    if inserted == 1 and wakeups.enabled():  # a broker: wake a worker for it once this commits
        message_id = session.execute(select(OutboxMessage.id)
                                     .where(OutboxMessage.idempotency_key == key)).scalar_one()
        wakeups.after_commit(session, wakeups.OUTBOX, message_id, kind.value)
    return inserted == 1


def backoff(attempt: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(0, attempt - 1)), BACKOFF_CAP)
