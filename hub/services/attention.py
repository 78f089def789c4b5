"""The attention list: what a person must look at, one open item per cause."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import AttentionItem
from hub.errors import NotFound


def open_items(db: Database, *, kind: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    query = select(AttentionItem).where(AttentionItem.resolved_at.is_(None)).order_by(AttentionItem.id.desc())
    if kind:
        query = query.where(AttentionItem.kind == kind)
    with db.transaction() as session:
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
            item.resolved_at = utcnow()
            # Free the cause's key: if it happens again, it deserves a new item.
            item.dedupe_key = f"{item.dedupe_key[:200]}#resolved:{item.id}"
