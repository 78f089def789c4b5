"""Polling suppliers that have an API (sandbox, CJ) for tracking and what they charged.

Each open supplier order is asked for its status; every parcel it reports becomes a shipment
(idempotent: unique per tracking number); an order the supplier cancelled on its side gets its
credit booked and its lines routed again (`cancellation.cancelled_by_supplier`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from connectors.http import ConnectorError
from hub.db.models import Supplier, SupplierOrder
from hub.errors import UserError
from hub.ports import SupplierOrderState
from hub.services.cancellation import cancelled_by_supplier
from hub.services.shipments import ShipmentIn, record_shipment
from hub.services.supplier_orders import supplier_adapter

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

POLLED_KINDS = ("sandbox", "cj")


def poll_shipments(hub: Hub, page: int = 500, supplier_id: int | None = None) -> dict[str, int]:
    """Ask about every open supplier order (of one supplier when given), a page at a time."""
    only = (SupplierOrder.supplier_id == supplier_id,) if supplier_id is not None else ()
    totals = {"checked": 0, "shipments": 0, "cancelled": 0, "errors": 0}
    after = 0
    while True:
        with hub.db.transaction() as session:
            rows = session.execute(
                select(SupplierOrder.id, SupplierOrder.reference, SupplierOrder.remote_id, Supplier.code,
                       Supplier.kind, Supplier.config, Supplier.credentials_encrypted)
                .join(Supplier, Supplier.id == SupplierOrder.supplier_id)
                .where(SupplierOrder.state == "accepted", Supplier.kind.in_(POLLED_KINDS), SupplierOrder.id > after,
                       *only)
                .order_by(SupplierOrder.id).limit(page)).all()
        if not rows:
            return totals
        after = rows[-1][0]
        for key, value in _poll(hub, [tuple(row[1:]) for row in rows]).items():
            totals[key] += value


def _poll(hub: Hub, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    by_supplier: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    adapters_of: dict[str, tuple[str, dict[str, object], str | None]] = {}
    for reference, remote_id, code, kind, config, secret in rows:
        by_supplier[code].append((reference, remote_id))
        adapters_of[code] = (kind, dict(config), secret)
    counts = {"checked": 0, "shipments": 0, "cancelled": 0, "errors": 0}
    for code, orders in by_supplier.items():
        kind, config, secret = adapters_of[code]
        adapter = supplier_adapter(hub, kind, code, config, secret)
        try:
            for reference, remote_id in orders:
                counts["checked"] += 1
                try:
                    status = adapter.get_order(reference, remote_id)
                except ConnectorError as exc:
                    counts["errors"] += 1
                    logger.warning("supplier status unavailable", extra={"supplier": code, "reason": str(exc)[:200]})
                    continue
                if status is not None and status.state is SupplierOrderState.CANCELLED:
                    counts["cancelled"] += int(cancelled_by_supplier(hub, reference))
                    continue
                if status is None or (status.state is SupplierOrderState.ACCEPTED and not status.shipments):
                    continue
                for parcel in status.shipments:
                    try:
                        result = record_shipment(hub, code, ShipmentIn(reference, parcel.tracking_number,
                                                                       parcel.carrier, parcel.tracking_url,
                                                                       parcel.lines, parcel.shipped_at))
                    except UserError as exc:
                        counts["errors"] += 1
                        logger.warning("supplier parcel not recorded", extra={"reference": reference,
                                                                              "reason": str(exc)[:200]})
                        continue
                    counts["shipments"] += int(result.created)
        finally:
            adapter.close()
    return counts
