"""The outbox: side effects written with the change that caused them, delivered after commit.

`enqueue` runs inside the caller's transaction (same commit or none). `dispatch` claims due rows
one by one with a lease (`UPDATE … WHERE locked_until is past`, row count checked), runs the
handler for the row's kind outside any transaction, then records the outcome. A worker that dies
mid-delivery leaves a lease that expires, so another worker retries with the same idempotency key;
handlers must make that retry harmless (their own claims, keys or look-ups).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import OutboxMessage
from hub.db.sql import insert_ignore
from hub.services import wakeups

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

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
_handlers: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers messages of `kind`."""
    def register(func: Handler) -> Handler:
        _handlers[kind] = func
        return func
    return register


def enqueue(session: Session, kind: str, key: str, payload: dict[str, Any],
            available_at: datetime | None = None) -> bool:
    """Add a message in the caller's transaction; a second message with the same key is ignored."""
    now = utcnow()
    inserted = insert_ignore(session, OutboxMessage.__table__,  # type: ignore[arg-type]
                             [{"kind": kind, "idempotency_key": key, "payload": payload, "state": "pending",
                               "attempts": 0, "available_at": available_at or now, "created_at": now}],
                             conflict=["idempotency_key"])
    if inserted == 1 and wakeups.enabled():  # a broker: wake a worker for it once this commits
        message_id = session.execute(select(OutboxMessage.id)
                                     .where(OutboxMessage.idempotency_key == key)).scalar_one()
        wakeups.after_commit(session, wakeups.OUTBOX, message_id, kind)
    return inserted == 1


def backoff(attempt: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(0, attempt - 1)), BACKOFF_CAP)


def _register_handlers() -> None:
    """Every handler lives beside its use case; importing them registers them (once)."""
    from hub.services import handlers

    del handlers


def dispatch(hub: Hub, kinds: list[str] | None = None, limit: int = 200) -> dict[str, int]:
    """Deliver due messages; returns counts by outcome."""
    _register_handlers()
    now = utcnow()
    query = (select(OutboxMessage.id).where(OutboxMessage.state == "pending", OutboxMessage.available_at <= now,
                                            or_(OutboxMessage.locked_until.is_(None),
                                                OutboxMessage.locked_until < now))
             .order_by(OutboxMessage.id).limit(limit))
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    with hub.db.transaction() as session:
        ids = list(session.execute(query).scalars())
    counts: dict[str, int] = {}
    for message_id in ids:
        outcome = deliver(hub, message_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def deliver(hub: Hub, message_id: int, *, due_only: bool = False) -> str:
    """One attempt: claim the row (a lease), run its handler, record the outcome. "skipped" when
    another worker holds it, it is settled, or (`due_only`, a broker's wake-up) its backoff runs."""
    _register_handlers()
    now = utcnow()
    due = (OutboxMessage.available_at <= now,) if due_only else ()
    with hub.db.transaction() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "pending", *due,
                   or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
            .values(locked_until=now + timedelta(seconds=hub.settings.outbox_lease_seconds),
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return "skipped"
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        kind, payload, attempts = message.kind, dict(message.payload), message.attempts
    func = _handlers.get(kind)
    try:
        outcome: Outcome = func(hub, payload) if func else Failed(f"no handler for {kind!r}")
    except Exception as exc:  # a handler bug must not stop the queue: retry with backoff, logged
        logger.exception("outbox handler crashed", extra={"kind": kind, "message_id": message_id})
        outcome = Retry(f"{type(exc).__name__}: {exc}"[:500])
    if isinstance(outcome, Retry) and attempts >= MAX_ATTEMPTS:
        outcome = Failed(f"gave up after {attempts} attempts: {outcome.reason}")
    _record(hub, message_id, outcome, attempts)
    return type(outcome).__name__.lower()


def _record(hub: Hub, message_id: int, outcome: Outcome, attempts: int) -> None:
    now = utcnow()
    values: dict[str, Any] = {"locked_until": None}
    if isinstance(outcome, Done):
        values.update(state="done", done_at=now, last_error=None)
    elif isinstance(outcome, Failed):
        values.update(state="failed", done_at=now, last_error=outcome.reason[:2000])
        logger.warning("outbox message failed", extra={"message_id": message_id, "reason": outcome.reason[:200]})
    else:
        values.update(available_at=now + (outcome.after or backoff(attempts)), last_error=outcome.reason[:2000])
    with hub.db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
                        .execution_options(synchronize_session=False))
