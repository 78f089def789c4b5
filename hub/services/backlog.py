"""The outbox's backlog for /metrics: undelivered messages by kind and state, and their oldest.

One grouped query over the (state, available_at) index: cheap enough to run at every scrape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from hub.db.models import OutboxMessage

if TYPE_CHECKING:
    from hub.bootstrap import Hub

UNDELIVERED = ("pending", "failed")


@dataclass(frozen=True)
class Backlog:
    kind: str
    state: str  # pending | failed
    count: int
    oldest: datetime  # created_at of the oldest such message (UTC)


def outbox_backlog(hub: Hub) -> list[Backlog]:
    query = (select(OutboxMessage.kind, OutboxMessage.state, func.count(), func.min(OutboxMessage.created_at))
             .where(OutboxMessage.state.in_(UNDELIVERED))
             .group_by(OutboxMessage.kind, OutboxMessage.state))
    with hub.db.read() as session:
        return [Backlog(kind, state, count, oldest) for kind, state, count, oldest in session.execute(query)]
