"""The relay: republish outbox messages that are due and nobody works on.

A message published on commit may be lost (broker down, a worker killed before it claimed it) and
a retried one waits for its backoff; either way the row says it is pending, due and unleased.
Retried rows (attempts > 0) are republished as soon as they are due; fresh ones after the grace
(`HUB_RELAY_GRACE_SECONDS`) so the wake-up sent on commit has its chance first. A duplicate wake-up
is harmless: the task claims the row before it acts.

A message still waiting in a queue behind a backlog looks lost too. Sent again on every tick, the
whole backlog would be added to the queue each tick (hundreds of thousands of tasks in a minute);
so the relay remembers what it sent and sends the same attempt again only after a doubling wait
(grace, 2 × grace, 4 × grace…, at most MAX_WAIT): a few copies per message, however long the
backlog. A new attempt of a message (a retry after its backoff) is sent at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import OutboxMessage

logger = logging.getLogger(__name__)

RELAY_BATCH = 1000
MAX_WAIT = timedelta(minutes=10)


def overdue_messages(db: Database, grace: timedelta, now: datetime | None = None,
                     limit: int = RELAY_BATCH) -> list[tuple[int, str]]:
    """(id, kind) of pending messages that are due and unleased, past the grace when never tried."""
    return [(message_id, kind) for message_id, kind, _ in _overdue(db, grace, now or utcnow(), limit)]


def _overdue(db: Database, grace: timedelta, now: datetime, limit: int) -> list[tuple[int, str, int]]:
    query = (select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.attempts)
             .where(OutboxMessage.state == "pending", OutboxMessage.available_at <= now,
                    or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
                    or_(OutboxMessage.attempts > 0,
                        and_(OutboxMessage.attempts == 0, OutboxMessage.available_at <= now - grace)))
             .order_by(OutboxMessage.id).limit(limit))
    with db.read() as session:
        return [(int(row.id), str(row.kind), int(row.attempts)) for row in session.execute(query)]


@dataclass
class _Sent:
    attempts: int  # the attempt count the message had when sent
    at: datetime
    times: int  # how often this attempt was sent


@dataclass
class Relay:
    """Republishes overdue messages, each attempt again only after a doubling wait (see above).
    One per scheduler process: its memory goes with it, and a new scheduler sends each once more."""

    db: Database
    publish: Callable[[list[tuple[int, str]]], None]
    grace: timedelta
    sent: dict[int, _Sent] = field(default_factory=dict)

    def __call__(self, now: datetime | None = None) -> int:
        """Republish the overdue messages not sent too recently; returns how many."""
        now = now or utcnow()
        overdue = _overdue(self.db, self.grace, now, RELAY_BATCH)
        self.sent = {row[0]: self.sent[row[0]] for row in overdue if row[0] in self.sent}  # forget the settled
        due = [(message_id, kind, attempts) for message_id, kind, attempts in overdue
               if self._due(message_id, attempts, now)]
        if due:
            self.publish([(message_id, kind) for message_id, kind, _ in due])
            for message_id, _, attempts in due:
                last = self.sent.get(message_id)
                times = last.times + 1 if last is not None and last.attempts == attempts else 1
                self.sent[message_id] = _Sent(attempts, now, times)
            logger.info("outbox relay republished", extra={"messages": len(due)})
        return len(due)

    def _due(self, message_id: int, attempts: int, now: datetime) -> bool:
        last = self.sent.get(message_id)
        if last is None or last.attempts != attempts:
            return True
        wait: timedelta = min(self.grace * (2 ** (last.times - 1)), MAX_WAIT)
        return now - last.at >= wait
