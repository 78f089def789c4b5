"""Late shipments: placed with no tracking after N days, or tracked with no progress for M days."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select

from hub.db.base import utcnow
from hub.db.models import AttentionItem, Order, Shipment, Supplier, SupplierOrder
from hub.db.sql import insert_ignore

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
        rows: list[dict[str, Any]] = [{"dedupe_key": f"supplier_order:{so_id}:late", "kind": "late_shipment",
                 "reason": f"{name}: {code} has not shipped {reference}, placed {placed:%Y-%m-%d}",
                 "store_id": store_id, "order_id": order_id, "supplier_order_id": so_id, "details": {},
                 "created_at": now, "resolved_at": None}
                for so_id, reference, placed, order_id, name, store_id, code in late]
        rows += [{"dedupe_key": f"shipment:{shipment_id}:stalled", "kind": "stalled_shipment",
                  "reason": f"{name}: parcel {number} shows no progress since {last:%Y-%m-%d}",
                  "store_id": store_id, "order_id": order_id, "supplier_order_id": so_id,
                  "details": {"shipment_id": shipment_id}, "created_at": now, "resolved_at": None}
                 for shipment_id, number, last, so_id, order_id, name, store_id in stalled]
        created = insert_ignore(session, AttentionItem.__table__, rows, conflict=["dedupe_key"])  # type: ignore[arg-type]
    return {"late": len(late), "stalled": len(stalled), "new_items": created}
