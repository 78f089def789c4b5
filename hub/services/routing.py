"""Route an order: choose offers, hold their stock, and write one supplier order per supplier.

All of it is one transaction. Stock is held with a conditional update on the offer
(`reserved = reserved + q WHERE stock - reserved >= q`), in offer-id order so concurrent routings
never deadlock; a lost race (row count 0) rolls the order back and routes it again against the
new stock. Each supplier order gets its outbox message in the same commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import (
    AttentionItem,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    Reservation,
    Store,
    Supplier,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.db.sql import insert_ignore
from hub.domain.routing import Allocation, Routed, Unroutable, route_order
from hub.services import attention, outbox
from hub.services.ledger import record_supplier_estimate
from hub.services.routing_load import demands, fx_converter, policy_of

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

MAX_ROUTING_TRIES = 5
ROUTABLE_PAYMENT = ("paid", "authorized", "partially_refunded")  # never ship what nobody paid for
PLACE_KIND = "supplier.place"


class StockTaken(Exception):
    """Another routing took the stock between our read and our hold."""


@dataclass
class RoutingResult:
    order_id: int
    status: str
    routed_lines: int = 0
    attention_lines: int = 0
    supplier_order_ids: list[int] = field(default_factory=list)


def route(hub: Hub, order_id: int) -> RoutingResult | None:
    """Route one order; None when it is not waiting for routing (already routed, cancelled…)."""
    for _ in range(MAX_ROUTING_TRIES):
        try:
            with hub.db.transaction() as session:
                return _route(session, order_id, hub.settings.supplier_hold_seconds)
        except StockTaken:
            continue
    logger.warning("routing kept losing stock races; will try again later", extra={"order_id": order_id})
    return None


def route_pending(hub: Hub, limit: int = 500) -> dict[str, int]:
    """Route paid, unfulfilled new orders; orders the store already fulfilled are set aside."""
    _set_aside_fulfilled(hub)
    with hub.db.transaction() as session:
        ids = list(session.execute(select(Order.id).where(
            Order.status == "new", Order.financial_status.in_(ROUTABLE_PAYMENT),
            Order.fulfillment_status == "unfulfilled").order_by(Order.id).limit(limit)).scalars())
    counts: dict[str, int] = defaultdict(int)
    for order_id in ids:
        result = route(hub, order_id)
        counts[result.status if result else "skipped"] += 1
    return dict(counts)


def _set_aside_fulfilled(hub: Hub) -> None:
    """A new order the store has (partly) fulfilled itself is not ours to ship: say so on its timeline."""
    with hub.db.transaction() as session:
        ids = list(session.execute(select(Order.id).where(
            Order.status == "new", Order.fulfillment_status != "unfulfilled")).scalars())
        if not ids:
            return
        session.execute(update(Order).where(Order.id.in_(ids), Order.status == "new")
                        .values(status="fulfilled_by_store").execution_options(synchronize_session=False))
        now = utcnow()
        session.execute(insert(OrderEvent), [
            {"order_id": order_id, "kind": "not_routed", "occurred_at": now, "data": {},
             "message": "Already fulfilled at the store: not sent to a supplier"} for order_id in ids])


def react_to_orders(hub: Hub, order_ids: list[int]) -> None:
    """Right after intake: route what became routable, stop supplier orders of what was cancelled."""
    from hub.services.cancellation import cancel_open_supplier_orders

    for order_id in order_ids:
        route(hub, order_id)
    cancel_open_supplier_orders(hub, order_ids)


def _route(session: Session, order_id: int, hold_seconds: int) -> RoutingResult | None:
    claimed = session.execute(update(Order).where(Order.id == order_id, Order.status == "new",
                                                  Order.financial_status.in_(ROUTABLE_PAYMENT),
                                                  Order.fulfillment_status == "unfulfilled")
                              .values(status="routing", updated_at=utcnow()).execution_options(
                                  synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    order = session.get(Order, order_id)
    assert order is not None
    store = session.get(Store, order.store_id)
    assert store is not None
    lines = list(session.execute(select(OrderLine).where(
        OrderLine.order_id == order_id, OrderLine.routing_status.in_(["pending", "attention"]),
        OrderLine.requires_shipping.is_(True)).order_by(OrderLine.id)).scalars())
    country = (order.shipping_address or {}).get("country_code")
    decisions = route_order(demands(session, order, lines), country, policy_of(store.settings),
                            fx_converter(session, order.placed_at.date()))
    routed = [d for d in decisions if isinstance(d, Routed)]
    _hold_stock(session, [a for d in routed for a in d.allocations])
    result = RoutingResult(order_id, "")
    now = utcnow()
    by_line = {line.id: line for line in lines}
    cleared: list[str] = []  # attention keys of lines that waited and are routed now
    for decision in decisions:
        line = by_line[decision.line_id]
        if isinstance(decision, Unroutable):
            line.routing_status, line.attention_reason = "attention", decision.reason.value
            _attention(session, order, line, decision)
            result.attention_lines += 1
        else:
            if line.routing_status == "attention" and line.attention_reason:
                cleared.append(_attention_key(line.id, line.attention_reason))
            line.routing_status, line.attention_reason = "routed", None
            result.routed_lines += 1
    if cleared:
        attention.resolve_open(session, [AttentionItem.dedupe_key.in_(cleared)], "the line is routed now", now)
    result.supplier_order_ids = _supplier_orders(session, order, routed, now + timedelta(seconds=hold_seconds))
    already_routed = session.execute(select(func.count()).select_from(OrderLine).where(
        OrderLine.order_id == order_id, OrderLine.routing_status == "routed")).scalar_one()
    result.status = ("routed" if result.attention_lines == 0 else
                     "partially_routed" if already_routed else "attention")
    order.status = result.status
    session.add(OrderEvent(order_id=order_id, kind="routed", occurred_at=now, message=_summary(session, result),
                           data={"routed_lines": result.routed_lines, "attention_lines": result.attention_lines,
                                 "supplier_orders": result.supplier_order_ids}))
    return result


def _hold_stock(session: Session, allocations: list[Allocation]) -> None:
    """Claim stock offer by offer, in id order; any shortfall means someone was faster."""
    needed: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        needed[allocation.offer_id] += allocation.quantity
    for offer_id in sorted(needed):
        held = session.execute(
            update(Offer).where(Offer.id == offer_id, Offer.stock - Offer.reserved >= needed[offer_id])
            .values(reserved=Offer.reserved + needed[offer_id]).execution_options(synchronize_session=False))
        if held.rowcount != 1:  # type: ignore[attr-defined]
            raise StockTaken(offer_id)


def reference_for(order_id: int, supplier_id: int, attempt: int) -> str:
    return f"H{order_id}-S{supplier_id}-{attempt}"


def _supplier_orders(session: Session, order: Order, routed: list[Routed], not_before: object) -> list[int]:
    by_supplier: dict[int, list[tuple[int, Allocation]]] = defaultdict(list)
    for decision in routed:
        for allocation in decision.allocations:
            by_supplier[allocation.supplier_id].append((decision.line_id, allocation))
    created = []
    for supplier_id, items in sorted(by_supplier.items()):
        attempt = 1 + session.execute(select(func.count()).select_from(SupplierOrder).where(
            SupplierOrder.order_id == order.id, SupplierOrder.supplier_id == supplier_id)).scalar_one()
        reference = reference_for(order.id, supplier_id, attempt)
        supplier_order = SupplierOrder(
            order_id=order.id, supplier_id=supplier_id, attempt=attempt, reference=reference,
            idempotency_key=hashlib.sha256(f"hub-supplier-order:{reference}".encode()).hexdigest()[:40],
            state="pending", currency=items[0][1].currency,
            expected_cost=sum((a.unit_cost * a.quantity for _, a in items), Decimal(0)),
            expected_shipping=sum((a.shipping_cost * a.quantity for _, a in items), Decimal(0)),
            not_before=not_before)
        session.add(supplier_order)
        session.flush()
        offers = {o.id: o for o in session.execute(select(Offer).where(
            Offer.id.in_([a.offer_id for _, a in items]))).scalars()}
        for line_id, allocation in items:
            session.add(SupplierOrderLine(
                supplier_order_id=supplier_order.id, order_line_id=line_id, offer_id=allocation.offer_id,
                supplier_sku=offers[allocation.offer_id].supplier_sku, quantity=allocation.quantity,
                unit_cost=allocation.unit_cost, shipping_cost=allocation.shipping_cost))
            session.add(Reservation(offer_id=allocation.offer_id, order_line_id=line_id,
                                    quantity=allocation.quantity, state="held"))
        outbox.enqueue(session, PLACE_KIND, f"place:{supplier_order.idempotency_key}",
                       {"supplier_order_id": supplier_order.id}, available_at=supplier_order.not_before)
        created.append(supplier_order.id)
    session.flush()
    for supplier_order_id in created:  # estimated cost in the ledger until the supplier's charge replaces it
        record_supplier_estimate(session, supplier_order_id)
    session.flush()
    return created


def _attention_key(line_id: int, reason: str) -> str:
    return f"line:{line_id}:{reason}"


def _attention(session: Session, order: Order, line: OrderLine, decision: Unroutable) -> None:
    insert_ignore(session, AttentionItem.__table__,  # type: ignore[arg-type]
                  [{"dedupe_key": _attention_key(line.id, decision.reason.value), "kind": decision.reason.value,
                    "reason": f"{order.name} line {line.sku or line.title}: {decision.text}",
                    "store_id": order.store_id, "order_id": order.id, "supplier_order_id": None,
                    "details": {"order_line_id": line.id, "sku": line.sku, "quantity": line.quantity},
                    "created_at": utcnow(), "resolved_at": None}], conflict=["dedupe_key"])


def _summary(session: Session, result: RoutingResult) -> str:
    if not result.supplier_order_ids:
        return f"No line could be routed ({result.attention_lines} need attention)"
    names = session.execute(select(Supplier.code).join(SupplierOrder, SupplierOrder.supplier_id == Supplier.id)
                            .where(SupplierOrder.id.in_(result.supplier_order_ids))).scalars().all()
    text = f"Routed {result.routed_lines} line(s) to {', '.join(sorted(names))}"
    return text + (f"; {result.attention_lines} need attention" if result.attention_lines else "")
