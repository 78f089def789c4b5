"""An order cancelled at the store: stop what has not left, ask suppliers to cancel what has.

Unplaced supplier orders are cancelled here with a claim (`pending → cancelled`), so a placement
that starts later finds nothing to place; placed ones get a `supplier.cancel` outbox message.
Held stock is released either way, and every step lands on the order's timeline.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.http import ConnectorError
from hub.db.base import utcnow
from hub.db.models import AttentionItem, Order, OrderLine, Supplier, SupplierOrder, SupplierOrderLine
from hub.domain.outbox_kinds import OutboxKind
from hub.domain.supplier_orders import OPEN, State
from hub.services import attention, events, ledger, reservations, wakeups
from hub.services import outbox_messages as messages
from hub.services.lifecycle import refresh_lifecycle
from hub.services.supplier_orders import abandon_unsent, claim, reroute_lines, supplier_adapter

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

OPEN_STATES = OPEN
REROUTABLE = ("routed", "partially_routed", "attention")


def cancel_open_supplier_orders(hub: Hub, order_ids: list[int] | None = None) -> dict[str, int]:
    """For cancelled orders (all, or the given ones): cancel or ask to cancel every open supplier order."""
    query = (select(SupplierOrder.id, SupplierOrder.order_id).join(Order, Order.id == SupplierOrder.order_id)
             .where(Order.status == "cancelled", SupplierOrder.state.in_(OPEN_STATES)).order_by(SupplierOrder.id))
    if order_ids is not None:
        query = query.where(Order.id.in_(order_ids))
    with hub.db.transaction() as session:
        rows = session.execute(query).all()
    counts = {"cancelled": 0, "requested": 0}
    for supplier_order_id, order_id in rows:
        counts[_cancel_one(hub, supplier_order_id, order_id)] += 1
    if order_ids:
        _close_lines(hub, order_ids)
    return counts


def _cancel_one(hub: Hub, supplier_order_id: int, order_id: int) -> str:
    now = utcnow()
    with hub.db.transaction() as session:
        stopped = claim(session, supplier_order_id, State.CANCELLED, allowed_from=[State.PENDING],
                        cancelled_at=now, updated_at=now)
        reference = session.execute(select(SupplierOrder.reference).where(SupplierOrder.id == supplier_order_id)
                                    ).scalar_one()
        if stopped:
            abandon_unsent(session, supplier_order_id)
            events.note(session, order_id=order_id, kind="supplier_order_cancelled", occurred_at=now,
                        message=f"{reference} cancelled before it reached the supplier",
                        data={"supplier_order_id": supplier_order_id})
            refresh_lifecycle(session, [order_id])
            return "cancelled"
        payload = {"supplier_order_id": supplier_order_id}
        if messages.enqueue(session, OutboxKind.CANCEL, f"cancel:{supplier_order_id}", payload):
            events.note(session, order_id=order_id, kind="supplier_cancel_requested", occurred_at=now,
                        message=f"Asking the supplier to cancel {reference}",
                        data={"supplier_order_id": supplier_order_id})
        return "requested"


def _close_lines(hub: Hub, order_ids: list[int]) -> None:
    """Lines of cancelled orders that never reached a supplier are closed too."""
    with hub.db.transaction() as session:
        cancelled = select(Order.id).where(Order.id.in_(order_ids), Order.status == "cancelled")
        session.execute(update(OrderLine).where(OrderLine.order_id.in_(cancelled),
                                                OrderLine.routing_status.in_(["pending", "attention"]))
                        .values(routing_status="cancelled").execution_options(synchronize_session=False))
        refresh_lifecycle(session, order_ids)


def cancelled_by_supplier(hub: Hub, reference: str) -> bool:
    """The supplier cancelled an accepted order on its side (out of stock, say): claim the state,
    book the supplier's credit, tell a person, and route the lines again unless the store order
    is cancelled too. False when there was nothing to change (already known, or not accepted)."""
    now = utcnow()
    with hub.db.transaction() as session:
        found = session.execute(select(SupplierOrder.id).where(SupplierOrder.reference == reference)
                                ).scalar_one_or_none()
        if found is None:
            return False
        if not claim(session, found, State.CANCELLED, allowed_from=[State.ACCEPTED],
                     cancelled_at=now, updated_at=now):
            return False
        ledger.record_supplier_credit(session, found, now)
        _, order = reroute_lines(session, found)
        events.note(session, order_id=order.id, kind="supplier_order_cancelled", occurred_at=now,
                    message=f"The supplier cancelled {reference} on its side",
                    data={"supplier_order_id": found})
        attention.record(session, [attention.Cause(
            f"supplier_order:{found}:cancelled_by_supplier", "supplier_cancelled",
            f"{order.name}: the supplier cancelled {reference}", store_id=order.store_id, order_id=order.id,
            supplier_order_id=found, details={"rerouted": order.status == "new"})], now)
        refresh_lifecycle(session, [order.id])
    logger.warning("supplier cancelled an accepted order", extra={"reference": reference})
    return True


def _route_again(session: Session, supplier_order_id: int, order_id: int, now: datetime) -> None:
    """A person cancelled a late supplier order to send it elsewhere: its lines wait for routing
    (the supplier that cancelled is left out), the routing lane is woken, the late item closes."""
    session.execute(update(Order).where(Order.id == order_id, Order.status.in_(REROUTABLE))
                    .values(status="new").execution_options(synchronize_session=False))
    if session.execute(select(Order.status).where(Order.id == order_id)).scalar_one() == "new":  # not cancelled
        line_ids = select(SupplierOrderLine.order_line_id).where(
            SupplierOrderLine.supplier_order_id == supplier_order_id)
        session.execute(update(OrderLine).where(OrderLine.id.in_(line_ids), OrderLine.routing_status == "routed")
                        .values(routing_status="pending").execution_options(synchronize_session=False))
    attention.resolve_open(session, [AttentionItem.supplier_order_id == supplier_order_id,
                                     AttentionItem.kind.in_(("late_shipment", "stalled_shipment"))],
                           "the late supplier order is cancelled; its lines are routed again", now)
    wakeups.after_commit(session, wakeups.ORDERS, order_id)


def cancel_at_supplier(hub: Hub, payload: dict[str, Any]) -> messages.Outcome:
    supplier_order_id = int(payload["supplier_order_id"])
    with hub.db.transaction() as session:
        order = session.get(SupplierOrder, supplier_order_id)
        if order is None or order.state not in OPEN_STATES:
            return messages.Done("nothing to cancel")
        if order.state in (State.PENDING, State.PLACING):  # wait until we know whether it reached the supplier
            return messages.Retry(f"supplier order is {order.state}; cancel once placement settles")
        supplier = session.get(Supplier, order.supplier_id)
        assert supplier is not None
        reference, remote_id, order_id = order.reference, order.remote_id, order.order_id
        kind, code, config = supplier.kind, supplier.code, dict(supplier.config)
        credentials = supplier.credentials_encrypted
    adapter = supplier_adapter(hub, kind, code, config, credentials)
    try:
        cancelled = adapter.cancel_order(reference, remote_id)
    except ConnectorError as exc:
        return messages.Retry(str(exc))
    finally:
        adapter.close()
    now = utcnow()
    with hub.db.transaction() as session:
        if cancelled:
            if claim(session, supplier_order_id, State.CANCELLED, allowed_from=OPEN_STATES,
                     cancelled_at=now, updated_at=now):
                reservations.release(session, supplier_order_id)
                ledger.record_supplier_credit(session, supplier_order_id, now)
                events.note(session, order_id=order_id, kind="supplier_order_cancelled", occurred_at=now,
                            message=f"The supplier cancelled {reference}",
                            data={"supplier_order_id": supplier_order_id})
                if payload.get("reroute"):
                    _route_again(session, supplier_order_id, order_id, now)
                refresh_lifecycle(session, [order_id])
            return messages.Done("cancelled")
        events.note(session, order_id=order_id, kind="supplier_cancel_refused", occurred_at=now,
                    message=f"Too late to cancel {reference}: the supplier has shipped it",
                    data={"supplier_order_id": supplier_order_id})
        attention.record(session, [attention.Cause(
            f"supplier_order:{supplier_order_id}:cancel_refused", "cancel_too_late",
            f"{reference} shipped before the order was cancelled", order_id=order_id,
            supplier_order_id=supplier_order_id)], now)
    return messages.Done("too late")
