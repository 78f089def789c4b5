"""The outbox: side effects written with the change that caused them, delivered after commit.

Messages are written by `outbox_messages.enqueue` inside the caller's transaction. `dispatch`
claims due rows one by one with a lease (`UPDATE … WHERE locked_until is past`, row count checked),
runs the handler the explicit table `outbox_handlers.HANDLERS` names for the row's kind outside any
transaction, then records the outcome. A worker that dies mid-delivery leaves a lease that expires,
so another worker retries with the same idempotency key; handlers must make that retry harmless
(their own claims, keys or look-ups).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from hub.db.base import utcnow
from hub.db.models import OutboxMessage
from hub.services.outbox_handlers import HANDLERS
from hub.services.outbox_messages import (
    MAX_ATTEMPTS,
    Done,
    Failed,
    Outcome,
    Retry,
    backoff,
    enqueue,
)

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

__all__ = ["Done", "Failed", "Outcome", "Retry", "deliver", "dispatch", "enqueue"]


def dispatch(hub: Hub, kinds: list[str] | None = None, limit: int = 200) -> dict[str, int]:
    """Deliver due messages; returns counts by outcome."""
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
    now = utcnow()
    due = (OutboxMessage.available_at <= now,) if due_only else ()
    with hub.db.transaction() as session:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "pending", *due,
                   or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
            .values(locked_until=now + timedelta(seconds=hub.settings.outbox_lease_seconds),
                    attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.kind, OutboxMessage.payload, OutboxMessage.attempts)
            .execution_options(synchronize_session=False)).first()
        if claimed is None:  # the claim and the read are one statement: no row, no claim
            return "skipped"
        kind, payload, attempts = claimed.kind, dict(claimed.payload), claimed.attempts
    func = HANDLERS.get(kind)
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
