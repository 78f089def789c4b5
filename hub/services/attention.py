"""The attention list: what a person must look at, one open item per cause.

An item that no longer holds is resolved by the code that ended its cause, in the same
transaction (`resolve_open`): the order went to a supplier after all, the line got routed, the
price no longer waits. An item about an order says so on the order's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import AttentionItem
from hub.db.sql import insert_ignore
from hub.errors import NotFound
from hub.services import events

UNSENT_PAID_ORDER = "unsent_paid_order"


@dataclass(frozen=True)
class Cause:
    """Something a person must look at; `key` keeps one open item per cause."""

    key: str
    kind: str
    reason: str
    store_id: int | None = None
    order_id: int | None = None
    supplier_order_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def record(session: Session, causes: Iterable[Cause], now: datetime | None = None) -> int:
    """Open an item for each cause that has none open (the unique dedupe key keeps a second one
    out, concurrent writers included), in the caller's transaction. Returns how many are new."""
    now = now or utcnow()
    rows = [{"dedupe_key": cause.key, "kind": cause.kind, "reason": cause.reason, "store_id": cause.store_id,
             "order_id": cause.order_id, "supplier_order_id": cause.supplier_order_id, "details": cause.details,
             "created_at": now, "resolved_at": None} for cause in causes]
    return insert_ignore(session, AttentionItem.__table__, rows, conflict=["dedupe_key"])  # type: ignore[arg-type]


def open_items(db: Database, *, kind: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    query = select(AttentionItem).where(AttentionItem.resolved_at.is_(None)).order_by(AttentionItem.id.desc())
    if kind:
        query = query.where(AttentionItem.kind == kind)
    with db.read() as session:
        return [{"id": item.id, "kind": item.kind, "reason": item.reason, "store_id": item.store_id,
                 "order_id": item.order_id, "supplier_order_id": item.supplier_order_id, "details": item.details,
                 "created_at": item.created_at.isoformat()}
                for item in session.execute(query.limit(limit)).scalars()]


def resolve(db: Database, item_id: int) -> None:
    with db.transaction() as session:
        item = session.get(AttentionItem, item_id)
        if item is None:
            raise NotFound(f"attention item {item_id} not found")
        if item.resolved_at is None:
            _close(item, utcnow())


def _close(item: AttentionItem, now: datetime) -> None:
    item.resolved_at = now
    # Free the cause's key: if it happens again, it deserves a new item.
    item.dedupe_key = f"{item.dedupe_key[:200]}#resolved:{item.id}"


def resolve_open(session: Session, where: Sequence[ColumnElement[bool]], why: str,
                 now: datetime | None = None) -> list[int]:
    """Resolve the open items matching `where` because their cause ended (`why`, said as a person
    would); each one about an order gets a timeline entry. Returns the ids resolved."""
    now = now or utcnow()
    items = list(session.execute(select(AttentionItem).where(AttentionItem.resolved_at.is_(None), *where)
                                 .order_by(AttentionItem.id).with_for_update()).scalars())
    for item in items:
        _close(item, now)
        item.details = {**(item.details or {}), "resolved_by": why}
    if items:
        session.flush()
        events.record(session, [events.Event(item.order_id, "attention_resolved",
                                             f"No longer needs attention: {item.reason} ({why})",
                                             {"attention_item_id": item.id, "kind": item.kind})
                                for item in items if item.order_id is not None], at=now)
    return [item.id for item in items]
