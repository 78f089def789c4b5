"""Tracking in: a supplier's parcel becomes a shipment, and a store fulfillment through the outbox.

A shipment is unique per (supplier order, tracking number), so a supplier pushing the same
tracking twice, a poll finding it again and a CSV re-import are all no-ops. Partial shipments
name their lines; quantities can never exceed what was ordered and not yet shipped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Order, Shipment, Supplier, SupplierOrder, SupplierOrderLine
from hub.db.sql import dialect_insert
from hub.domain.outbox_kinds import OutboxKind
from hub.domain.supplier_orders import State
from hub.errors import NotFound, UserError
from hub.services import events, outbox_messages
from hub.services.lifecycle import refresh_lifecycle
from hub.services.supplier_orders import claim

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

SHIPPABLE_STATES = (State.ACCEPTED, State.SHIPPED, State.PLACING)


class WrongSupplier(UserError):
    """The reference belongs to another supplier's order."""


@dataclass(frozen=True)
class ShipmentIn:
    reference: str
    tracking_number: str
    carrier: str | None = None
    tracking_url: str | None = None
    lines: tuple[tuple[str, int], ...] = ()  # (supplier sku, quantity); empty: everything not yet shipped
    shipped_at: datetime | None = None


@dataclass(frozen=True)
class ShipmentResult:
    shipment_id: int
    created: bool
    supplier_order_state: str


def record_shipment(hub: Hub, supplier_code: str, shipment: ShipmentIn) -> ShipmentResult:
    number = shipment.tracking_number.strip()
    if not number or len(number) > 100:
        raise UserError("tracking_number is required (at most 100 characters)")
    with hub.db.transaction() as session:
        order = session.execute(select(SupplierOrder).where(SupplierOrder.reference == shipment.reference.strip())
                                .with_for_update()).scalar_one_or_none()
        if order is None:
            raise NotFound(f"no supplier order with reference {shipment.reference!r}")
        code = session.execute(select(Supplier.code).where(Supplier.id == order.supplier_id)).scalar_one()
        if code != supplier_code:
            raise WrongSupplier(f"supplier order {shipment.reference!r} is not {supplier_code}'s")
        existing = session.execute(select(Shipment.id).where(Shipment.supplier_order_id == order.id,
                                                             Shipment.tracking_number == number)).scalar_one_or_none()
        if existing is not None:
            return ShipmentResult(existing, False, order.state)
        if order.state not in SHIPPABLE_STATES:
            raise UserError(f"supplier order {order.reference} is {order.state}: it cannot ship")
        lines = _allocate(session, order.id, shipment.lines)
        now = utcnow()
        statement = (dialect_insert(session, Shipment.__table__)  # type: ignore[arg-type]
                     .values(supplier_order_id=order.id, carrier=(shipment.carrier or "").strip()[:100] or None,
                             tracking_number=number, tracking_url=shipment.tracking_url, lines=lines,
                             status="in_transit", shipped_at=shipment.shipped_at or now, last_event_at=now)
                     .on_conflict_do_nothing(index_elements=["supplier_order_id", "tracking_number"])
                     .returning(Shipment.__table__.c.id))
        shipment_id = session.execute(statement).scalar_one()
        complete = _fully_shipped(session, order.id)
        if complete:
            claim(session, order.id, State.SHIPPED, allowed_from=[State.ACCEPTED, State.PLACING],
                  shipped_at=now, updated_at=now)
        events.note(session, order_id=order.order_id, kind="shipped", occurred_at=now,
                    message=f"{code} shipped {order.reference}: {shipment.carrier or 'carrier?'} {number}"
                            + ("" if complete else " (part of the order)"),
                    data={"supplier_order_id": order.id, "shipment_id": shipment_id, "lines": lines})
        outbox_messages.enqueue(session, OutboxKind.FULFIL, f"fulfil:shipment:{shipment_id}",
                                {"shipment_id": shipment_id})
        refresh_lifecycle(session, [order.order_id])
        return ShipmentResult(shipment_id, True, "shipped" if complete else order.state)


def _shipped_so_far(session: Session, supplier_order_id: int) -> dict[int, int]:
    shipped: dict[int, int] = defaultdict(int)
    for lines in session.execute(select(Shipment.lines).where(Shipment.supplier_order_id == supplier_order_id)
                                 ).scalars():
        for item in lines or []:
            shipped[int(item["supplier_order_line_id"])] += int(item["quantity"])
    return shipped


def _allocate(session: Session, supplier_order_id: int, requested: tuple[tuple[str, int], ...]) -> list[dict[str, Any]]:
    """Turn (sku, quantity) into supplier-order lines with what remains unshipped; refuse overshipping."""
    order_lines = session.execute(select(SupplierOrderLine).where(
        SupplierOrderLine.supplier_order_id == supplier_order_id).order_by(SupplierOrderLine.id)).scalars().all()
    shipped = _shipped_so_far(session, supplier_order_id)
    remaining = {line.id: line.quantity - shipped.get(line.id, 0) for line in order_lines}
    if not requested:
        chosen = [{"supplier_order_line_id": lid, "order_line_id": line.order_line_id, "quantity": qty}
                  for line in order_lines if (qty := remaining[(lid := line.id)]) > 0]
        if not chosen:
            raise UserError("everything in this supplier order has already shipped")
        return chosen
    allocated: list[dict[str, Any]] = []
    for sku, quantity in requested:
        if quantity <= 0:
            raise UserError(f"quantity for {sku} must be above 0")
        left = quantity
        for line in order_lines:
            if line.supplier_sku != sku or left == 0:
                continue
            take = min(left, remaining[line.id])
            if take > 0:
                allocated.append({"supplier_order_line_id": line.id, "order_line_id": line.order_line_id,
                                  "quantity": take})
                remaining[line.id] -= take
                left -= take
        if left:
            if not any(line.supplier_sku == sku for line in order_lines):
                raise UserError(f"SKU {sku} is not in this supplier order")
            raise UserError(f"{quantity} × {sku} is more than was ordered and not yet shipped")
    return allocated


def _fully_shipped(session: Session, supplier_order_id: int) -> bool:
    shipped = _shipped_so_far(session, supplier_order_id)
    quantities = session.execute(select(SupplierOrderLine.id, SupplierOrderLine.quantity).where(
        SupplierOrderLine.supplier_order_id == supplier_order_id)).all()
    return all(shipped.get(line_id, 0) >= quantity for line_id, quantity in quantities)


def store_order_for(session: Session, supplier_order_id: int) -> Order:
    order = session.execute(select(Order).join(SupplierOrder, SupplierOrder.order_id == Order.id).where(
        SupplierOrder.id == supplier_order_id)).scalar_one()
    return order


@dataclass
class ShipmentImport:
    created: int
    already_known: int
    rejects: list[tuple[int, str]]


def import_shipments_csv(hub: Hub, supplier_code: str, content: bytes) -> ShipmentImport:
    """Tracking from a supplier's CSV: every good parcel recorded, every bad row with its line and reason."""
    parsed = hub.connectors.parse_shipment_file(content)
    rejects = [(r.line, r.reason) for r in parsed.rejects]
    created = known = 0
    for reference, parcel in parsed.shipments:
        try:
            result = record_shipment(hub, supplier_code, ShipmentIn(reference, parcel.tracking_number, parcel.carrier,
                                                                    parcel.tracking_url, parcel.lines,
                                                                    parcel.shipped_at))
        except UserError as exc:
            rejects.append((0, f"{reference}: {exc}"))
            continue
        created += int(result.created)
        known += int(not result.created)
    return ShipmentImport(created, known, sorted(rejects))
