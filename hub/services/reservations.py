"""Held stock: released when a line will not ship from that offer, consumed when the supplier confirms."""

from __future__ import annotations

from collections import defaultdict
from typing import cast

from sqlalchemy import Table, bindparam, case, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Offer, Reservation, SupplierOrderLine

CLAIM_BATCH = 500  # reservation ids per UPDATE … WHERE id IN (…)


def _settle(session: Session, supplier_order_id: int, new_state: str, take_from_stock: bool) -> int:
    """Claim the supplier order's held reservations and move their units, a few statements for
    any number of lines (a 40,000-line order settled row by row held SQLite's lock for seconds).
    The rows are locked by the read (FOR UPDATE; on SQLite the write lock is already ours), so
    every claim lands; a count that disagrees is an error and rolls the caller back."""
    rows = session.execute(
        select(Reservation.id, Reservation.offer_id, Reservation.quantity)
        .join(SupplierOrderLine, (SupplierOrderLine.order_line_id == Reservation.order_line_id)
              & (SupplierOrderLine.offer_id == Reservation.offer_id))
        .where(SupplierOrderLine.supplier_order_id == supplier_order_id, Reservation.state == "held")
        .order_by(Reservation.offer_id, Reservation.id).with_for_update()).all()
    now = utcnow()
    for start in range(0, len(rows), CLAIM_BATCH):
        ids = [row.id for row in rows[start:start + CLAIM_BATCH]]
        claimed = session.execute(update(Reservation).where(Reservation.id.in_(ids), Reservation.state == "held")
                                  .values(state=new_state, updated_at=now)
                                  .execution_options(synchronize_session=False))
        if claimed.rowcount != len(ids):  # type: ignore[attr-defined]
            raise RuntimeError(f"reservations of supplier order {supplier_order_id} changed while settled")
    per_offer: dict[int, int] = defaultdict(int)
    for row in rows:
        per_offer[row.offer_id] += row.quantity
    offers = cast(Table, Offer.__table__)
    values: dict[str, object] = {"reserved": offers.c.reserved - bindparam("units")}
    if take_from_stock:  # the supplier has it now; its next feed will say the same
        values["stock"] = case((offers.c.stock < bindparam("units"), 0), else_=offers.c.stock - bindparam("units"))
    if per_offer:  # in offer-id order, as routing locks them
        session.connection().execute(offers.update().where(offers.c.id == bindparam("offer")).values(**values),
                                     [{"offer": offer_id, "units": units} for offer_id, units in
                                      sorted(per_offer.items())])
    return len(rows)


def release(session: Session, supplier_order_id: int) -> int:
    """Give back the stock held for a supplier order that will not be placed (cancelled, refused)."""
    return _settle(session, supplier_order_id, "released", take_from_stock=False)


def consume(session: Session, supplier_order_id: int) -> int:
    """The supplier confirmed: the held units leave its stock for good."""
    return _settle(session, supplier_order_id, "consumed", take_from_stock=True)
