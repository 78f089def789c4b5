"""Order intake: every channel's normalized orders land here, exactly once per (store, external id).

Idempotency is the schema's job: `INSERT … ON CONFLICT DO NOTHING` on the unique (store,
external id) decides who creates an order, so parallel webhook deliveries and overlapping pulls
cannot double it. A batch is one transaction and uses set-based statements, because pulls bring
orders by the hundred.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import Order, OrderLine
from hub.db.sql import bulk_insert, dialect_insert
from hub.domain.orders import Address, OrderIn, OrderLineIn
from hub.services import events, wakeups
from hub.services.lifecycle import refresh_lifecycle

logger = logging.getLogger(__name__)

_TRACKED_FIELDS = ("financial_status", "fulfillment_status", "total_price", "total_discounts",
                   "total_shipping", "total_tax", "subtotal_price", "email", "shipping_address")


_LINE_FIELDS = ("sku", "title", "variant_id", "product_id", "quantity", "unit_price", "total_discount",
                "requires_shipping")


@dataclass
class IntakeResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    cancelled: int = 0
    rejected: int = 0  # pulled orders that could not be taken (listed for attention instead)
    created_ids: list[int] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)

    def add(self, other: IntakeResult) -> None:
        for name in ("created", "updated", "unchanged", "stale", "cancelled", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.created_ids += other.created_ids
        self.changed_ids += other.changed_ids


def ingest_orders(db: Database, store_id: int, orders: Iterable[OrderIn], source: str) -> IntakeResult:
    """One transaction: upsert a batch of orders of one store."""
    with db.transaction() as session:
        return ingest(session, store_id, list(orders), source)


def ingest(session: Session, store_id: int, orders: Sequence[OrderIn], source: str) -> IntakeResult:
    result = IntakeResult()
    latest = _latest_per_id(orders)
    if not latest:
        return result
    now = utcnow()
    inserted = _insert_new(session, store_id, latest, source, now)
    result.created, result.created_ids = len(inserted), list(inserted.values())
    result.cancelled += sum(1 for ext in inserted if latest[ext].is_cancelled)
    remaining = [order for ext, order in latest.items() if ext not in inserted]
    if remaining:
        _apply_updates(session, store_id, remaining, source, now, result)
    refresh_lifecycle(session, result.created_ids + result.changed_ids)
    if result.created_ids or result.changed_ids:  # with a broker: route them right after commit
        wakeups.after_commit(session, wakeups.ORDERS, *result.created_ids, *result.changed_ids)
    return result


def _latest_per_id(orders: Sequence[OrderIn]) -> dict[str, OrderIn]:
    """An overlapping page can hold an order twice: keep its newest version."""
    latest: dict[str, OrderIn] = {}
    for order in orders:
        seen = latest.get(order.external_id)
        if seen is None or order.updated_at >= seen.updated_at:
            latest[order.external_id] = order
    return latest


def _address(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {f.name: value for f in fields(address) if (value := getattr(address, f.name)) is not None}


def _order_values(order: OrderIn) -> dict[str, Any]:
    return {
        "name": order.name, "email": order.email, "currency": order.currency,
        "financial_status": order.financial_status.value,
        "fulfillment_status": order.fulfillment_status.value,
        "subtotal_price": order.subtotal_price, "total_discounts": order.total_discounts,
        "total_shipping": order.total_shipping, "total_tax": order.total_tax,
        "total_price": order.total_price, "shipping_address": _address(order.shipping_address),
        "billing_address": _address(order.billing_address),
        "placed_at": order.processed_at or order.created_at, "remote_updated_at": order.updated_at,
        "cancelled_at": order.cancelled_at, "cancel_reason": order.cancel_reason,
        "fingerprint": order.fingerprint(),
    }


def _line_values(order_id: int, line: OrderLineIn) -> dict[str, Any]:
    return {
        "order_id": order_id, "external_id": line.external_id, "sku": line.sku, "title": line.title,
        "variant_id": line.variant_id, "product_id": line.product_id, "quantity": line.quantity,
        "unit_price": line.unit_price, "total_discount": line.total_discount,
        "requires_shipping": line.requires_shipping, "routing_status": "pending",
    }


def _insert_new(session: Session, store_id: int, latest: dict[str, OrderIn], source: str,
                now: datetime) -> dict[str, int]:
    """Insert orders not yet stored; the unique constraint settles races. Returns external id → id."""
    existing = set(session.execute(
        select(Order.external_id).where(Order.store_id == store_id, Order.external_id.in_(list(latest)))
    ).scalars())
    fresh = [order for ext, order in latest.items() if ext not in existing]
    if not fresh:
        return {}
    rows = [{"store_id": store_id, "external_id": o.external_id,
             "status": "cancelled" if o.is_cancelled else "new",
             "created_at": now, "updated_at": now, **_order_values(o)} for o in fresh]
    statement = (dialect_insert(session, Order.__table__)  # type: ignore[arg-type]
                 .on_conflict_do_nothing(index_elements=["store_id", "external_id"])
                 .returning(Order.__table__.c.id, Order.__table__.c.external_id))
    inserted = {ext: oid for oid, ext in session.execute(statement, rows)}
    if not inserted:
        return {}
    lines = [_line_values(inserted[o.external_id], line) for o in fresh if o.external_id in inserted
             for line in o.lines]
    bulk_insert(session, OrderLine.__table__, lines)  # type: ignore[arg-type]
    timeline: list[events.Event] = []
    for order in fresh:
        if order.external_id not in inserted:
            continue
        timeline.append(events.Event(inserted[order.external_id], "received",
                                     f"Order {order.name} received via {source}",
                                     {"source": source, "lines": len(order.lines)}))
        if order.is_cancelled:
            timeline.append(events.Event(inserted[order.external_id], "cancelled",
                                         f"Order cancelled at the store ({order.cancel_reason or 'no reason'})",
                                         {"source": source}))
    events.record(session, timeline, at=now)
    return inserted


def _apply_updates(session: Session, store_id: int, orders: list[OrderIn], source: str, now: datetime,
                   result: IntakeResult) -> None:
    by_id = {o.external_id: o for o in orders}
    stored = session.execute(
        select(Order).where(Order.store_id == store_id, Order.external_id.in_(list(by_id)))
        .order_by(Order.id).with_for_update()
    ).scalars().all()
    for row in stored:
        incoming = by_id[row.external_id]
        if incoming.fingerprint() == row.fingerprint:
            result.unchanged += 1
        elif incoming.updated_at < row.remote_updated_at:
            result.stale += 1  # an older version arriving late (webhook retry, overlap window)
        else:
            _update_order(session, row, incoming, source, now)
            result.updated += 1
            result.changed_ids.append(row.id)
            if incoming.is_cancelled and row.status == "cancelled":
                result.cancelled += 1


def _update_order(session: Session, row: Order, incoming: OrderIn, source: str, now: datetime) -> None:
    values = _order_values(incoming)
    changes = {name: (_plain(getattr(row, name)), _plain(values[name])) for name in _TRACKED_FIELDS
               if getattr(row, name) != values[name]}
    newly_cancelled = incoming.is_cancelled and row.cancelled_at is None
    for name, value in values.items():
        setattr(row, name, value)
    if newly_cancelled:
        row.status = "cancelled"
    row.updated_at = now
    line_changes = _sync_lines(session, row.id, incoming.lines)
    timeline: list[events.Event] = []
    if "financial_status" in changes:
        before, after = changes.pop("financial_status")
        timeline.append(events.Event(row.id, "financial_status", f"Payment status {before} → {after}",
                                     {"from": before, "to": after, "source": source}))
    if newly_cancelled:
        timeline.append(events.Event(row.id, "cancelled",
                                     f"Order cancelled at the store ({incoming.cancel_reason or 'no reason'})",
                                     {"source": source}))
    if changes or line_changes or not timeline:
        timeline.append(events.Event(row.id, "updated", f"Order updated via {source}",
                                     {"source": source, "changes": {k: list(v) for k, v in changes.items()},
                                      **line_changes}))
    events.record(session, timeline, at=now)


def _sync_lines(session: Session, order_id: int, lines: Sequence[OrderLineIn]) -> dict[str, int]:
    """Update lines in place, add new ones; a line the store dropped is marked removed, never deleted.

    Returns how many lines were added, changed and removed (only the non-zero counts)."""
    stored = {line.external_id: line for line in session.execute(
        select(OrderLine).where(OrderLine.order_id == order_id)).scalars()}
    incoming_ids = {line.external_id for line in lines}
    new_rows = []
    changed = 0
    for line in lines:
        values = _line_values(order_id, line)
        current = stored.get(line.external_id)
        if current is None:
            new_rows.append(values)
            continue
        differs = False
        for name in _LINE_FIELDS:
            if getattr(current, name) != values[name]:
                setattr(current, name, values[name])
                differs = True
        if current.routing_status == "removed":
            current.routing_status = "pending"
            differs = True
        changed += differs
    if new_rows:
        session.execute(insert(OrderLine), new_rows)
    gone = [line.id for ext, line in stored.items() if ext not in incoming_ids and line.routing_status != "removed"]
    if gone:
        session.execute(update(OrderLine).where(OrderLine.id.in_(gone)).values(routing_status="removed")
                        .execution_options(synchronize_session=False))
    counts = {"lines_added": len(new_rows), "lines_changed": changed, "lines_removed": len(gone)}
    return {name: count for name, count in counts.items() if count}


def _plain(value: object) -> object:
    """JSON-friendly form of a value for the timeline."""
    return str(value) if value is not None and not isinstance(value, str | int | dict) else value
