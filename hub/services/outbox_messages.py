"""Writing outbox messages, and what a handler answers: the part every use case may import.

`enqueue` runs inside the caller's transaction (same commit or none). Delivery lives in
`hub/services/outbox.py`, which imports the handler table; keeping these apart is what lets a
handler import this module without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import OutboxMessage
from hub.db.sql import dialect_insert
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
    return _insert(session, OutboxKind(kind), [(key, payload, available_at)]) == 1


def enqueue_many(session: Session, kind: OutboxKind,
                 messages: Sequence[tuple[str, dict[str, Any], datetime | None]]) -> int:
    """`enqueue` of several (key, payload, available_at) messages of one kind in one INSERT; keys
    already there are ignored. Returns how many were added."""
    return _insert(session, OutboxKind(kind), messages)


def _insert(session: Session, kind: OutboxKind, messages: Sequence[tuple[str, dict[str, Any], datetime | None]]
            ) -> int:
    """The one writer of outbox rows (the kind was checked by the caller: an unknown kind is a bug
    refused before it reaches the table)."""
    if not messages:
        return 0
    now = utcnow()
    table = cast(Table, OutboxMessage.__table__)
    statement = (dialect_insert(session, table).on_conflict_do_nothing(index_elements=["idempotency_key"])
                 .returning(table.c.id))
    # RETURNING gives the ids of the rows really inserted (a conflict returns nothing) on both backends.
    added = list(session.execute(statement, [
        {"kind": kind.value, "idempotency_key": key, "payload": payload, "state": "pending", "attempts": 0,
         "available_at": available_at or now, "created_at": now} for key, payload, available_at in messages])
        .scalars())
    for message_id in added:  # a broker: wake a worker for each once this commits
        wakeups.after_commit(session, wakeups.OUTBOX, message_id, kind.value)
    return len(added)


def backoff(attempt: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(0, attempt - 1)), BACKOFF_CAP)
