"""Keep `orders.lifecycle` equal to what `hub.domain.lifecycle.derive` says of the order's facts.

Every service that changes an input (intake, routing, placement, shipments, store fulfillment,
cancellation) calls `refresh_lifecycle` in its own transaction, so the stored word never lags the
facts and lists can filter and count by an index. Set-based: a pull of hundreds of orders costs
five queries per chunk, not five per order.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db.models import Order, OrderLine, Shipment, SupplierOrder
from hub.domain.lifecycle import LineFacts, OrderFacts, derive

logger = logging.getLogger(__name__)

CHUNK = 500


def refresh_lifecycle(session: Session, order_ids: Iterable[int]) -> int:
    """Recompute the lifecycle of these orders in the caller's transaction; returns how many changed."""
    ids = sorted({int(order_id) for order_id in order_ids})
    changed = 0
    for chunk in _chunks(ids, CHUNK):
        current: dict[int, str] = {}
        moves: dict[str, list[int]] = defaultdict(list)
        for order_id, facts in order_facts(session, chunk, current).items():
            value = derive(facts).value
            if current.get(order_id) != value:
                moves[value].append(order_id)
        for value, moved in moves.items():
            # updated_at stays: the ledger job follows orders by it, and a derived word is no news
            session.execute(update(Order).where(Order.id.in_(moved))
                            .values(lifecycle=value, updated_at=Order.updated_at)
                            .execution_options(synchronize_session=False))
            changed += len(moved)
    if changed:
        # ORM rows already loaded in this session must not show the old word
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Order) and obj.id in ids:
                session.expire(obj, ["lifecycle"])
    return changed


def order_facts(session: Session, order_ids: Sequence[int],
                lifecycles: dict[int, str] | None = None) -> dict[int, OrderFacts]:
    """The inputs of `derive` for each order, in four grouped queries; `lifecycles`, when given,
    receives each order's stored word from the same read."""
    orders = session.execute(select(Order.id, Order.status, Order.financial_status, Order.fulfillment_status,
                                    Order.cancelled_at, Order.lifecycle).where(Order.id.in_(order_ids))).all()
    if lifecycles is not None:
        lifecycles.update({row.id: row.lifecycle for row in orders})
    line_rows = session.execute(select(OrderLine.order_id, OrderLine.id, OrderLine.quantity, OrderLine.routing_status,
                                       OrderLine.requires_shipping).where(OrderLine.order_id.in_(order_ids))
                                .order_by(OrderLine.id)).all()
    states: dict[int, list[str]] = defaultdict(list)
    for order_id, state in session.execute(select(SupplierOrder.order_id, SupplierOrder.state).where(
            SupplierOrder.order_id.in_(order_ids)).order_by(SupplierOrder.id)):
        states[order_id].append(state)
    shipped: dict[int, int] = defaultdict(int)
    parcels: dict[int, list[bool]] = defaultdict(list)
    for order_id, items, fulfillment_id in session.execute(
            select(SupplierOrder.order_id, Shipment.lines, Shipment.remote_fulfillment_id)
            .join(SupplierOrder, SupplierOrder.id == Shipment.supplier_order_id)
            .where(SupplierOrder.order_id.in_(order_ids))):
        parcels[order_id].append(fulfillment_id is not None)
        for item in items or []:
            if item.get("order_line_id") is not None:
                shipped[int(item["order_line_id"])] += int(item.get("quantity") or 0)
    lines: dict[int, list[LineFacts]] = defaultdict(list)
    for order_id, line_id, quantity, routing_status, requires_shipping in line_rows:
        lines[order_id].append(LineFacts(quantity, routing_status, bool(requires_shipping), shipped.get(line_id, 0)))
    return {order_id: OrderFacts(hub_status=status, financial_status=financial, fulfillment_status=fulfillment,
                                 cancelled=cancelled_at is not None, lines=tuple(lines[order_id]),
                                 supplier_orders=tuple(states[order_id]), parcels=len(parcels[order_id]),
                                 parcels_fulfilled=sum(parcels[order_id]))
            for order_id, status, financial, fulfillment, cancelled_at, _ in orders}


def refresh_all(session: Session, batch: int = CHUNK) -> int:
    """Recompute every order (a repair tool: after a bug fix in `derive`, or a restore)."""
    changed, after = 0, 0
    while True:
        ids = list(session.execute(select(Order.id).where(Order.id > after).order_by(Order.id).limit(batch)).scalars())
        if not ids:
            return changed
        changed += refresh_lifecycle(session, ids)
        after = ids[-1]


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
