"""Anomalies as the merchant reads them: the names behind the finders' ids (order, store,
supplier, supplier order, payout) looked up in one query each, the sentence from the pure
`describe_anomaly`, and a link to the order or payout it concerns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Order, Payout, Store, Supplier, SupplierOrder
from hub.domain.anomaly_words import AnomalyNames, describe_anomaly


def _pairs(session: Session, query: Any) -> dict[int, str]:
    return {key: value for key, value in session.execute(query)}


def _ids(values: Iterable[Any]) -> set[int]:
    return {int(v) for v in values if v is not None}


def in_words(session: Session, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each anomaly with `reason` in plain words and `link` ({href, text}, or None)."""
    if not found:
        return []
    so_ids = _ids(a["supplier_order_id"] for a in found)
    supplier_orders = {sid: (ref, sup) for sid, ref, sup in session.execute(
        select(SupplierOrder.id, SupplierOrder.reference, SupplierOrder.supplier_id)
        .where(SupplierOrder.id.in_(so_ids)))}
    supplier_ids = _ids(a["details"].get("supplier_id") for a in found) | {s for _, s in supplier_orders.values()}
    suppliers = _pairs(session, select(Supplier.id, Supplier.name).where(Supplier.id.in_(supplier_ids)))
    order_ids = _ids(a["order_id"] for a in found)
    orders: dict[int, str] = {}
    totals: dict[int, tuple[str | None, str | None]] = {}  # what an order is worth, for sentences without an amount
    for oid, name, total, currency in session.execute(
            select(Order.id, Order.name, Order.total_price, Order.currency).where(Order.id.in_(order_ids))):
        orders[oid] = name
        totals[oid] = (str(total), currency)
    store_ids = _ids(a["store_id"] for a in found)
    stores = _pairs(session, select(Store.id, Store.name).where(Store.id.in_(store_ids)))
    payout_ids = _ids(a["details"].get("payout_id") for a in found)
    payouts = _pairs(session, select(Payout.id, Payout.external_id).where(Payout.id.in_(payout_ids)))
    out = []
    for anomaly in found:
        details = anomaly["details"]
        so = supplier_orders.get(anomaly["supplier_order_id"] or 0)
        supplier_id = details.get("supplier_id") or (so[1] if so else None)
        names = AnomalyNames(order=orders.get(anomaly["order_id"] or 0), store=stores.get(anomaly["store_id"] or 0),
                             supplier=suppliers.get(supplier_id or 0), supplier_order=so[0] if so else None,
                             payout=payouts.get(details.get("payout_id") or 0))
        worth, money = totals.get(anomaly["order_id"] or 0, (None, None))
        facts = {"order_total": worth, "currency": money, **details}
        out.append({**anomaly, "reason": describe_anomaly(anomaly["kind"], facts, names),
                    "link": _link(anomaly, names)})
    return out


def _link(anomaly: dict[str, Any], names: AnomalyNames) -> dict[str, str] | None:
    payout_id = anomaly["details"].get("payout_id")
    if payout_id:
        return {"href": f"/payouts/{payout_id}", "text": f"payout {names.payout or payout_id}"}
    if anomaly["order_id"]:
        return {"href": f"/orders/{anomaly['order_id']}", "text": f"order {names.order or anomaly['order_id']}"}
    return None
