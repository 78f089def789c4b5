"""Wake-ups published after commit: what a transaction made ready for a worker, by id.

With a broker (HUB_BROKER_URL) the process installs a publisher; a use case calls `after_commit`
inside its transaction and the wake-ups are handed to the publisher once that transaction
commits (dropped if it rolls back). A wake-up is never the truth: the rows it names are, and the
relay and the periodic jobs find whatever a lost wake-up left. Without a publisher nothing is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

OUTBOX = "outbox"  # args: (message id, kind)
ORDERS = "orders"  # args: order ids that intake created or changed (route them, stop cancelled ones)
DELIVERY = "delivery"  # args: (webhook delivery id,) stored and acknowledged, to be processed

Wakeup = tuple[str, tuple[object, ...]]
Publisher = Callable[[list[Wakeup]], None]
_publisher: Publisher | None = None
_KEY = "hub.wakeups"


def set_publisher(publisher: Publisher | None) -> Publisher | None:
    """Install (or remove, with None) this process's publisher; returns the previous one."""
    global _publisher
    previous, _publisher = _publisher, publisher
    return previous


def enabled() -> bool:
    return _publisher is not None


def after_commit(session: Session, kind: str, *args: object) -> None:
    """Publish (kind, args) once `session`'s transaction commits; nothing without a publisher."""
    if _publisher is not None:
        session.info.setdefault(_KEY, []).append((kind, args))


def publish(pending: list[Wakeup]) -> None:
    """Hand wake-ups to the publisher now: for a caller that has just committed on its own
    connection (no session to wait for). Never raises: the relay and the sweeps make up for it."""
    publisher = _publisher
    if not pending or publisher is None:
        return
    try:
        publisher(pending)
    except Exception as exc:  # the broker is down: the relay and the ticks make up for it
        logger.warning("publishing after commit failed", extra={"wakeups": len(pending),
                                                                "error": type(exc).__name__})


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if pending:
        publish(pending)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
