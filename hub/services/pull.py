"""Scheduled order pull: everything updated since the cursor minus an overlap, in committed batches.

The cursor moves only together with the batch that justifies it (same transaction), so a crash
never skips orders; the overlap window re-reads what arrived late (Shopify's `updated_at` search
index lags), and intake makes the re-read free. A deeper daily pass reconciles what webhooks missed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from hub.db.base import utcnow
from hub.db.models import SyncCursor
from hub.db.sql import insert_ignore
from hub.domain.orders import OrderIn, RejectedOrder
from hub.services import attention
from hub.services.intake import IntakeResult, ingest
from hub.services.stores import credentials

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

ORDERS_CURSOR = "orders.updated_at"
BATCH = 250


def read_cursor(hub: Hub, store_id: int) -> datetime | None:
    with hub.db.transaction() as session:
        value = session.execute(select(SyncCursor.value).where(
            SyncCursor.store_id == store_id, SyncCursor.name == ORDERS_CURSOR)).scalar_one_or_none()
    return datetime.fromisoformat(value) if value else None


def _advance(session: Session, store_id: int, to: datetime) -> None:
    """Move the cursor forward only (a late, older batch never moves it back)."""
    insert_ignore(session, SyncCursor.__table__,  # type: ignore[arg-type]
                  [{"store_id": store_id, "name": ORDERS_CURSOR, "value": None, "updated_at": utcnow()}],
                  conflict=["store_id", "name"])
    cursor = session.execute(select(SyncCursor).where(SyncCursor.store_id == store_id,
                                                      SyncCursor.name == ORDERS_CURSOR).with_for_update()).scalar_one()
    if cursor.value is None or datetime.fromisoformat(cursor.value) < to:
        cursor.value = to.isoformat()


def pull_orders(hub: Hub, store_id: int, *, since: datetime | None = None, move_cursor: bool = True,
                page_size: int | None = None) -> IntakeResult:
    """Fetch and store orders updated since `since` (default: cursor minus overlap, or the initial lookback)."""
    settings = hub.settings
    if since is None:
        cursor = read_cursor(hub, store_id)
        since = (cursor - timedelta(seconds=settings.orders_pull_overlap_seconds) if cursor
                 else utcnow() - timedelta(days=settings.orders_initial_lookback_days))
    storefront = hub.connectors.storefront(credentials(hub, store_id))
    total = IntakeResult()
    batch: list[OrderIn | RejectedOrder] = []
    try:
        for order in storefront.orders(updated_since=since, page_size=page_size):
            batch.append(order)
            if len(batch) >= BATCH:
                total.add(_commit(hub, store_id, batch, move_cursor))
                batch = []
        if batch:
            total.add(_commit(hub, store_id, batch, move_cursor))
    finally:
        storefront.close()
    logger.info("orders pulled", extra={"store_id": store_id, "since": since.isoformat(),
                                        "orders_created": total.created, "orders_updated": total.updated,
                                        "orders_unchanged": total.unchanged, "orders_rejected": total.rejected})
    return total


def _commit(hub: Hub, store_id: int, batch: list[OrderIn | RejectedOrder], move_cursor: bool) -> IntakeResult:
    """Store the good orders and list the rejected ones for a person; the cursor passes both."""
    good = [order for order in batch if isinstance(order, OrderIn)]
    rejected = [order for order in batch if isinstance(order, RejectedOrder)]
    with hub.db.transaction() as session:
        result = ingest(session, store_id, good, source="pull") if good else IntakeResult()
        for order in rejected:
            _record_rejected(session, store_id, order)
        result.rejected += len(rejected)
        stamps = [order.updated_at for order in batch if order.updated_at is not None]
        if move_cursor and stamps:
            _advance(session, store_id, max(stamps))
    return result


def _record_rejected(session: Session, store_id: int, order: RejectedOrder) -> None:
    """One open attention item per rejected version of an order (a later, fixed version is taken)."""
    logger.warning("order refused by the pull", extra={"store_id": store_id, "external_id": order.external_id})
    version = order.updated_at.isoformat() if order.updated_at else "unknown"
    attention.record(session, [attention.Cause(
        f"order_rejected:{store_id}:{order.external_id}:{version}"[:255], "order_rejected",
        f"Order {order.name} (id {order.external_id}) was not taken: {order.reason}", store_id=store_id,
        details={"external_id": order.external_id, "updated_at": version})])


def reconcile_orders(hub: Hub, store_id: int) -> IntakeResult:
    """The deeper pass: re-read the last days whatever the cursor says; the cursor is left alone."""
    since = utcnow() - timedelta(days=hub.settings.orders_reconcile_days)
    return pull_orders(hub, store_id, since=since, move_cursor=False)
