"""Held stock: released when a line will not ship from that offer, consumed when the supplier confirms."""

from __future__ import annotations

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Offer, Reservation, SupplierOrderLine


def _settle(session: Session, supplier_order_id: int, new_state: str, take_from_stock: bool) -> int:
    rows = session.execute(
        select(Reservation).join(SupplierOrderLine, (SupplierOrderLine.order_line_id == Reservation.order_line_id)
                                 & (SupplierOrderLine.offer_id == Reservation.offer_id))
        .where(SupplierOrderLine.supplier_order_id == supplier_order_id, Reservation.state == "held")
        .order_by(Reservation.offer_id).with_for_update()).scalars().all()
    for reservation in rows:
        claimed = session.execute(update(Reservation).where(Reservation.id == reservation.id,
                                                            Reservation.state == "held")
                                  .values(state=new_state, updated_at=utcnow())
                                  .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        values: dict[str, object] = {"reserved": Offer.reserved - reservation.quantity}
        if take_from_stock:  # the supplier has it now; its next feed will say the same
            values["stock"] = case((Offer.stock < reservation.quantity, 0),
                                   else_=Offer.stock - reservation.quantity)
        session.execute(update(Offer).where(Offer.id == reservation.offer_id).values(**values)
                        .execution_options(synchronize_session=False))
    return len(rows)


def release(session: Session, supplier_order_id: int) -> int:
    """Give back the stock held for a supplier order that will not be placed (cancelled, refused)."""
    return _settle(session, supplier_order_id, "released", take_from_stock=False)


def consume(session: Session, supplier_order_id: int) -> int:
    """The supplier confirmed: the held units leave its stock for good."""
    return _settle(session, supplier_order_id, "consumed", take_from_stock=True)
