"""Late shipments: placed with no tracking after N days, or tracked with no progress for M days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import exists, select

from hub.db.base import utcnow
from hub.db.models import Order, Shipment, Supplier, SupplierOrder
from hub.services import attention

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def flag_late(hub: Hub, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    no_tracking_since = now - timedelta(days=hub.settings.late_shipment_days)
    stalled_since = now - timedelta(days=hub.settings.stalled_shipment_days)
    with hub.db.transaction() as session:
        late = session.execute(
            select(SupplierOrder.id, SupplierOrder.reference, SupplierOrder.placed_at, Order.id, Order.name,
                   Order.store_id, Supplier.code)
            .join(Order, Order.id == SupplierOrder.order_id).join(Supplier, Supplier.id == SupplierOrder.supplier_id)
            .where(SupplierOrder.state == "accepted", SupplierOrder.placed_at < no_tracking_since,
                   ~exists().where(Shipment.supplier_order_id == SupplierOrder.id))).all()
        stalled = session.execute(
            select(Shipment.id, Shipment.tracking_number, Shipment.last_event_at, SupplierOrder.id, Order.id,
                   Order.name, Order.store_id)
            .join(SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id)
            .join(Order, Order.id == SupplierOrder.order_id)
            .where(Shipment.status == "in_transit", Shipment.delivered_at.is_(None),
                   Shipment.last_event_at < stalled_since)).all()
        causes = [attention.Cause(f"supplier_order:{so_id}:late", "late_shipment",
                                  f"{name}: {code} has not shipped {reference}, placed {placed:%Y-%m-%d}",
                                  store_id=store_id, order_id=order_id, supplier_order_id=so_id)
                  for so_id, reference, placed, order_id, name, store_id, code in late]
        causes += [attention.Cause(f"shipment:{shipment_id}:stalled", "stalled_shipment",
                                   f"{name}: parcel {number} shows no progress since {last:%Y-%m-%d}",
                                   store_id=store_id, order_id=order_id, supplier_order_id=so_id,
                                   details={"shipment_id": shipment_id})
                   for shipment_id, number, last, so_id, order_id, name, store_id in stalled]
        created = attention.record(session, causes, now)
    return {"late": len(late), "stalled": len(stalled), "new_items": created}
