"""The order timeline: every entry written through `record`, in the caller's transaction.

One function so that what an entry holds (order, kind, words a person reads, data, time) is
decided in one place, and so many entries go in as one statement (COPY on PostgreSQL for big
batches) whether intake writes thousands or placement writes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import OrderEvent
from hub.db.sql import bulk_insert


@dataclass(frozen=True)
class Event:
    order_id: int
    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None  # None: the `at` of the call


def record(session: Session, events: Iterable[Event], at: datetime | None = None) -> int:
    """Add the entries to their orders' timelines; returns how many."""
    now = at or utcnow()
    rows = [{"order_id": event.order_id, "kind": event.kind, "message": event.message, "data": event.data,
             "occurred_at": event.occurred_at or now} for event in events]
    bulk_insert(session, OrderEvent.__table__, rows)  # type: ignore[arg-type]
    return len(rows)


def note(session: Session, order_id: int, kind: str, message: str, data: dict[str, Any] | None = None,
         occurred_at: datetime | None = None) -> None:
    """One entry: `record` of a single event."""
    record(session, [Event(order_id, kind, message, data or {}, occurred_at)])
