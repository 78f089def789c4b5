"""Read models for the dashboard: counts and recent activity in a handful of grouped queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hub.db.engine import Database
from hub.db.models import (
    AttentionItem,
    JobRun,
    Order,
    Shipment,
    Store,
    Supplier,
    SupplierOrder,
)
from hub.domain.lifecycle import LIFECYCLES
from hub.domain.money import format_amount
from hub.services.stores import store_view


def overview(db: Database) -> dict[str, Any]:
    with db.read() as session:
        orders = dict(session.execute(select(Order.status, func.count()).group_by(Order.status)).all())
        counted = dict(session.execute(select(Order.lifecycle, func.count()).group_by(Order.lifecycle)).all())
        # every lifecycle that has orders, in the order an order lives them
        lifecycles = {value: counted[value] for value in LIFECYCLES if counted.get(value)}
        supplier_orders = dict(session.execute(select(SupplierOrder.state, func.count())
                                               .group_by(SupplierOrder.state)).all())
        attention = session.execute(select(func.count()).select_from(AttentionItem).where(
            AttentionItem.resolved_at.is_(None))).scalar_one()
        fulfilled = session.execute(select(func.count()).select_from(Shipment).where(
            Shipment.remote_fulfillment_id.is_not(None))).scalar_one()
        shipments = session.execute(select(func.count()).select_from(Shipment)).scalar_one()
        runs = session.execute(select(JobRun).order_by(JobRun.id.desc()).limit(12)).scalars().all()
        stores = [store_view(s) for s in session.execute(select(Store).order_by(Store.id)).scalars()]
        suppliers = session.execute(select(Supplier.code, Supplier.name, Supplier.kind, Supplier.active)
                                    .order_by(Supplier.priority, Supplier.code)).all()
        return {
            "orders": orders, "orders_total": sum(orders.values()), "lifecycles": lifecycles,
            "supplier_orders": supplier_orders,
            "attention": attention, "shipments": shipments, "fulfilled": fulfilled, "stores": stores,
            "suppliers": [{"code": c, "name": n, "kind": k, "active": a} for c, n, k, a in suppliers],
            "runs": [{"job": r.job, "store_id": r.store_id, "status": r.status, "counts": r.counts,
                      "error": r.error, "started_at": r.started_at} for r in runs],
        }


def supplier_orders_of(db: Database, order_id: int) -> list[dict[str, Any]]:
    with db.read() as session:
        rows = session.execute(select(SupplierOrder, Supplier.code).join(
            Supplier, Supplier.id == SupplierOrder.supplier_id).where(SupplierOrder.order_id == order_id)
            .order_by(SupplierOrder.id)).all()
        parcels = session.execute(select(Shipment).join(
            SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id).where(SupplierOrder.order_id == order_id)
            .order_by(Shipment.id)).scalars().all()
        return [{"reference": so.reference, "supplier": code, "state": so.state, "remote_id": so.remote_id,
                 "expected_total": format_amount(so.expected_cost + so.expected_shipping, so.currency),
                 "currency": so.currency,
                 "last_error": so.last_error,
                 "parcels": [{"carrier": p.carrier, "tracking_number": p.tracking_number, "url": p.tracking_url,
                              "fulfilled": p.remote_fulfillment_id is not None}
                             for p in parcels if p.supplier_order_id == so.id]}
                for so, code in rows]
