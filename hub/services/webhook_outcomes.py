"""How a webhook delivery's attempt ends: claimed, then processed, retried later, or given up as `error`.

Every way out of an attempt is written here, so no exception can leave a delivery `processing`:
a failure that may pass (the database busy or out of reach, the store timing out) goes back to
`received` with a growing delay until `MAX_ATTEMPTS`; anything else (a payload the hub cannot
hold, a bug) is `error` at once, with the reason on the row. Reasons and logs never carry the
payload: database messages are cut to their first line, without the statement's parameters.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from connectors.http import ConnectorError, RateLimited, RemoteUnavailable
from hub.db.engine import Database
from hub.db.models import WebhookDelivery
from hub.domain.limits import OrderLimitError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
STUCK_AFTER = timedelta(minutes=10)  # a claim older than this died with its process
REASON_LENGTH = 2000

_TRANSIENT = (OperationalError, InterfaceError, RemoteUnavailable, RateLimited, TimeoutError, ConnectionError)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, at most an hour."""
    delay: timedelta = FIRST_BACKOFF * (2 ** min(max(attempts - 1, 0), 10))
    return min(delay, MAX_BACKOFF)


def reason(exc: BaseException) -> str:
    """What went wrong, for the row and the log: no statement parameters, no payload."""
    if isinstance(exc, RecursionError):
        return "RecursionError: the body is nested too deeply to process"
    if isinstance(exc, SQLAlchemyError):
        original = exc.orig if isinstance(exc, DBAPIError) else exc
        lines = str(original).strip().splitlines()
        first = lines[0] if lines and not lines[0].startswith("[SQL") else type(original).__name__
        return f"database refused the delivery: {type(original).__name__}: {first}"[:500]
    return f"{type(exc).__name__}: {exc}"[:REASON_LENGTH]


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, _TRANSIENT)


def claim(db: Database, delivery_id: int, now: datetime) -> int | None:
    """received → processing, counting the attempt; the attempt number, or None if another took it."""
    with db.transaction() as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "received")
            .values(status="processing", attempts=WebhookDelivery.attempts + 1, claimed_at=now)
            .returning(WebhookDelivery.attempts)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    return None if claimed is None else int(claimed)


def finish(db: Database, delivery_id: int, status: str, error: str | None, now: datetime) -> None:
    with db.transaction() as session:
        session.execute(update(WebhookDelivery)
                        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "processing")
                        .values(status=status, error=error, processed_at=now, next_attempt_at=None)
                        .execution_options(synchronize_session=False))


def fail(db: Database, delivery_id: int, attempts: int, exc: BaseException, now: datetime) -> str:
    """Record a failed attempt: 'retry' (back to received, later) or 'error' (for good)."""
    text = reason(exc)
    known = isinstance(exc, ConnectorError | OrderLimitError | SQLAlchemyError | RecursionError)
    logger.warning("webhook delivery failed", extra={
        "delivery_id": delivery_id, "attempt": attempts, "error_type": type(exc).__name__,
        "reason": text[:200] if known else None})
    if is_transient(exc) and attempts < MAX_ATTEMPTS:
        with db.transaction() as session:
            session.execute(update(WebhookDelivery)
                            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "processing")
                            .values(status="received", error=f"attempt {attempts}: {text}",
                                    next_attempt_at=now + backoff(attempts))
                            .execution_options(synchronize_session=False))
        return "retry"
    if is_transient(exc):
        text = f"gave up after {attempts} attempts: {text}"
    finish(db, delivery_id, "error", text[:REASON_LENGTH], now)
    return "error"


def release_stuck(db: Database, now: datetime) -> int:
    """`processing` rows whose claim is older than STUCK_AFTER (their process died): queue them again,
    or give them up when they already had every attempt (a payload that kills its process each time)."""
    stale = and_(WebhookDelivery.status == "processing",
                 or_(WebhookDelivery.claimed_at < now - STUCK_AFTER,
                     and_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.received_at < now - STUCK_AFTER)))
    with db.transaction() as session:
        given_up = session.execute(
            update(WebhookDelivery).where(stale, WebhookDelivery.attempts >= MAX_ATTEMPTS)
            .values(status="error", processed_at=now,
                    error=f"gave up after {MAX_ATTEMPTS} attempts: processing never finished")
            .execution_options(synchronize_session=False))
        requeued = session.execute(
            update(WebhookDelivery).where(stale).values(status="received", next_attempt_at=now)
            .execution_options(synchronize_session=False))
    return int(given_up.rowcount) + int(requeued.rowcount)  # type: ignore[attr-defined]
