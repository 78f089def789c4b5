"""Store queries shared by the scheduler and entry points."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from hub.db.engine import Database
from hub.db.models import Store


def active_store_ids(db: Database, platforms: Iterable[str]) -> list[int]:
    with db.transaction() as session:
        rows = session.execute(
            select(Store.id).where(Store.status == "active", Store.platform.in_(list(platforms)))
            .order_by(Store.id)
        )
        return list(rows.scalars())
