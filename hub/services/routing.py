"""Route an order: choose offers, hold their stock, and write one supplier order per supplier.

The choice is made once for the whole order, from a read that takes no write lock; it is then
applied in chunks of `CHUNK_LINES` lines, each its own short transaction, so a 40,000-line order
never holds SQLite's write lock for seconds. The order is claimed first (`new → routing` with a
token); every chunk re-checks the claim and beats it, and a routing whose process died is
continued by the next pass once its beat is `STALE_ROUTING` old. Stock is held with a conditional
update on the offer (`reserved = reserved + q WHERE stock - reserved >= q`), in offer-id order so
concurrent routings never deadlock; a lost race (row count 0) rolls back only that chunk, and the
lines still waiting are decided again against the new stock. The supplier orders' outbox messages
and estimated costs are written by the last transaction, so nothing is placed half-written.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import (
    AttentionItem,
    Offer,
    Order,
    OrderLine,
    OutboxMessage,
    Reservation,
    Store,
    Supplier,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.domain.outbox_kinds import OutboxKind
from hub.domain.routing import Allocation, Routed, Unroutable, route_order
from hub.logs import with_context
from hub.services import attention, events, outbox_messages
from hub.services.cancellation import cancel_open_supplier_orders
from hub.services.ledger import record_supplier_estimate
from hub.services.lifecycle import refresh_lifecycle
from hub.services.routing_load import demands, fx_converter, policy_of

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

MAX_ROUTING_TRIES = 5
CHUNK_LINES = 100  # lines applied per transaction: tens of milliseconds of write lock
STALE_ROUTING = timedelta(seconds=60)  # a routing that has not moved for this long is continued
ROUTABLE_PAYMENT = ("paid", "authorized", "partially_refunded")  # never ship what nobody paid for
WAITING = ("pending", "attention")


class StockTaken(Exception):
    """Another routing took the stock between our read and our hold (or the line changed)."""


class LostClaim(Exception):
    """The order is no longer ours to route (cancelled, or continued by another process)."""


@dataclass
class RoutingResult:
    order_id: int
    status: str
    routed_lines: int = 0
    attention_lines: int = 0
    supplier_order_ids: list[int] = field(default_factory=list)


@with_context(lambda hub, order_id: {"order_id": order_id})
def route(hub: Hub, order_id: int) -> RoutingResult | None:
    """Route one order; None when it is not waiting for routing (already routed, cancelled…).
    An order of at most `CHUNK_LINES` waiting lines is routed in one transaction, claim included;
    a bigger one has its claim committed first and is routed chunk by chunk."""
    hold = timedelta(seconds=hub.settings.supplier_hold_seconds)
    for _ in range(MAX_ROUTING_TRIES):
        try:
            with hub.db.transaction() as session:
                token = _claim(session, order_id)
                if token is None:
                    return None
                waiting = session.execute(select(func.count()).select_from(OrderLine).where(
                    OrderLine.order_id == order_id, OrderLine.routing_status.in_(WAITING),
                    OrderLine.requires_shipping.is_(True))).scalar_one()
                if waiting <= CHUNK_LINES:
                    result = RoutingResult(order_id, "")
                    _apply(session, order_id, token, _decide(session, order_id), result, hold)
                    return _finish(session, order_id, token, result)
            return _route_claimed(hub, order_id, token)
        except StockTaken:
            continue  # the whole order rolled back, claim included: route it again on the new stock
    logger.warning("routing kept losing stock races; will try again later", extra={"order_id": order_id})
    return None


def route_pending(hub: Hub, limit: int = 500, now: datetime | None = None) -> dict[str, int]:
    """Route paid, unfulfilled new orders (and continue routings a dead process left); orders the
    store already fulfilled are set aside."""
    _set_aside_fulfilled(hub)
    counts: dict[str, int] = defaultdict(int)
    for order_id, token in _take_over_stale(hub, now):
        result = _route_claimed(hub, order_id, token)
        counts[result.status if result else "skipped"] += 1
    with hub.db.read() as session:
        ids = list(session.execute(select(Order.id).where(
            Order.status == "new", Order.financial_status.in_(ROUTABLE_PAYMENT),
            Order.fulfillment_status == "unfulfilled").order_by(Order.id).limit(limit)).scalars())
    for order_id in ids:
        result = route(hub, order_id)
        counts[result.status if result else "skipped"] += 1
    return dict(counts)


def _set_aside_fulfilled(hub: Hub) -> None:
    """A new order the store has (partly) fulfilled itself is not ours to ship: say so on its timeline."""
    with hub.db.read() as session:
        found = session.execute(select(Order.id).where(
            Order.status == "new", Order.fulfillment_status != "unfulfilled").limit(1)).first()
    if found is None:
        return
    with hub.db.transaction() as session:
        ids = list(session.execute(select(Order.id).where(
            Order.status == "new", Order.fulfillment_status != "unfulfilled")).scalars())
        if not ids:
            return
        session.execute(update(Order).where(Order.id.in_(ids), Order.status == "new")
                        .values(status="fulfilled_by_store").execution_options(synchronize_session=False))
        now = utcnow()
        events.record(session, [events.Event(order_id, "not_routed", "Already fulfilled at the store: not sent to"
                                             " a supplier") for order_id in ids], at=now)
        refresh_lifecycle(session, ids)


def react_to_orders(hub: Hub, order_ids: list[int]) -> None:
    """Right after intake: route what became routable, stop supplier orders of what was cancelled."""
    for order_id in order_ids:
        route(hub, order_id)
    cancel_open_supplier_orders(hub, order_ids)


def _claim(session: Session, order_id: int) -> str | None:
    token, now = uuid.uuid4().hex, utcnow()
    claimed = session.execute(update(Order).where(Order.id == order_id, Order.status == "new",
                                                  Order.financial_status.in_(ROUTABLE_PAYMENT),
                                                  Order.fulfillment_status == "unfulfilled")
                              .values(status="routing", routing_token=token, routing_beat=now, updated_at=now)
                              .execution_options(synchronize_session=False))
    return token if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def _take_over_stale(hub: Hub, now: datetime | None = None) -> list[tuple[int, str]]:
    """Claim the routings whose owner stopped moving (a crash between chunks)."""
    now = now or utcnow()
    with hub.db.read() as session:
        rows = session.execute(select(Order.id, Order.routing_token).where(
            Order.status == "routing",
            (Order.routing_beat.is_(None)) | (Order.routing_beat < now - STALE_ROUTING)).order_by(Order.id)).all()
    taken = []
    for order_id, old in rows:
        token = uuid.uuid4().hex
        same = Order.routing_token.is_(None) if old is None else Order.routing_token == old
        with hub.db.transaction() as session:
            claimed = session.execute(update(Order).where(Order.id == order_id, Order.status == "routing", same)
                                      .values(routing_token=token, routing_beat=now, updated_at=Order.updated_at)
                                      .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            logger.warning("continuing a routing left unfinished", extra={"order_id": order_id})
            taken.append((order_id, token))
    return taken


def _route_claimed(hub: Hub, order_id: int, token: str) -> RoutingResult | None:
    result = RoutingResult(order_id, "")
    hold = timedelta(seconds=hub.settings.supplier_hold_seconds)
    try:
        for _ in range(MAX_ROUTING_TRIES):
            with hub.db.read() as session:
                decisions = _decide(session, order_id)
            try:
                for start in range(0, len(decisions), CHUNK_LINES):
                    hub.db.yield_to_writers()
                    with hub.db.transaction() as session:
                        _apply(session, order_id, token, decisions[start:start + CHUNK_LINES], result, hold)
                break
            except StockTaken:
                continue  # decide again for the lines still waiting, against the stock as it is now
        else:
            logger.warning("routing kept losing stock races; will try again later", extra={"order_id": order_id})
        with hub.db.transaction() as session:
            return _finish(session, order_id, token, result)
    except LostClaim:
        logger.info("order left routing while it was routed", extra={"order_id": order_id})
        return None


def _decide(session: Session, order_id: int) -> list[Routed | Unroutable]:
    """The choice for every line still waiting, made once for the whole order (consolidation
    included); for a big order from a read that takes no write lock."""
    order = session.get(Order, order_id)
    assert order is not None
    store = session.get(Store, order.store_id)
    assert store is not None
    lines = list(session.execute(select(OrderLine).where(
        OrderLine.order_id == order_id, OrderLine.routing_status.in_(WAITING),
        OrderLine.requires_shipping.is_(True)).order_by(OrderLine.id)).scalars())
    country = (order.shipping_address or {}).get("country_code")
    return route_order(demands(session, order, lines), country, policy_of(store.settings),
                       fx_converter(session, order.placed_at.date()))


def _own(session: Session, order_id: int, token: str) -> Order:
    """Re-check the claim (and beat it) inside the caller's transaction."""
    mine = session.execute(update(Order).where(Order.id == order_id, Order.status == "routing",
                                               Order.routing_token == token)
                           .values(routing_beat=utcnow(), updated_at=Order.updated_at)
                           .execution_options(synchronize_session=False))
    if mine.rowcount != 1:  # type: ignore[attr-defined]
        raise LostClaim(order_id)
    order = session.get(Order, order_id)
    assert order is not None
    return order


def _apply(session: Session, order_id: int, token: str, decisions: list[Routed | Unroutable],
           result: RoutingResult, hold: timedelta) -> None:
    """One chunk: hold its stock, set its lines, add its supplier order lines and attention items."""
    order = _own(session, order_id, token)
    lines = {line.id: line for line in session.execute(select(OrderLine).where(
        OrderLine.id.in_([d.line_id for d in decisions]), OrderLine.routing_status.in_(WAITING))).scalars()}
    if len(lines) != len(decisions):
        raise StockTaken("lines changed since the decision")
    routed = [d for d in decisions if isinstance(d, Routed)]
    _hold_stock(session, [a for d in routed for a in d.allocations])
    now = utcnow()
    cleared: list[str] = []  # attention keys of lines that waited and are routed now
    line_rows = []
    for decision in decisions:
        line = lines[decision.line_id]
        if isinstance(decision, Unroutable):
            line_rows.append({"id": line.id, "routing_status": "attention", "attention_reason": decision.reason.value})
            _attention(session, order, line, decision)
        else:
            if line.routing_status == "attention" and line.attention_reason:
                cleared.append(_attention_key(line.id, line.attention_reason))
            line_rows.append({"id": line.id, "routing_status": "routed", "attention_reason": None})
            result.routed_lines += 1
    session.execute(update(OrderLine), line_rows)
    if cleared:
        attention.resolve_open(session, [AttentionItem.dedupe_key.in_(cleared)], "the line is routed now", now)
    _add_to_supplier_orders(session, order, routed, now + hold)


def _open_supplier_orders(session: Session, order_id: int) -> dict[int, SupplierOrder]:
    """This routing's supplier orders so far: pending, and not yet handed to the outbox."""
    queued = exists().where(OutboxMessage.idempotency_key == literal("place:") + SupplierOrder.idempotency_key)
    rows = session.execute(select(SupplierOrder).where(SupplierOrder.order_id == order_id,
                                                       SupplierOrder.state == "pending", ~queued)
                           .order_by(SupplierOrder.id)).scalars()
    return {row.supplier_id: row for row in rows}


def _finish(session: Session, order_id: int, token: str, result: RoutingResult) -> RoutingResult:
    """Hand this routing's supplier orders to the outbox, book their estimates, set the status."""
    order = _own(session, order_id, token)
    now = utcnow()
    created = sorted(so.id for so in _open_supplier_orders(session, order_id).values())
    for supplier_order_id in created:
        supplier_order = session.get(SupplierOrder, supplier_order_id)
        assert supplier_order is not None
        outbox_messages.enqueue(session, OutboxKind.PLACE, f"place:{supplier_order.idempotency_key}",
                       {"supplier_order_id": supplier_order.id}, available_at=supplier_order.not_before)
        record_supplier_estimate(session, supplier_order_id)  # until the supplier's charge replaces it
    states = dict(session.execute(select(OrderLine.routing_status, func.count()).where(
        OrderLine.order_id == order_id, OrderLine.requires_shipping.is_(True))
        .group_by(OrderLine.routing_status)).all())
    result.supplier_order_ids = created
    result.attention_lines = int(states.get("attention", 0))
    result.status = ("new" if states.get("pending") else  # lost too many races: the next pass goes on
                     "routed" if not states.get("attention") else
                     "partially_routed" if states.get("routed") else "attention")
    order.status, order.routing_token, order.routing_beat = result.status, None, None
    events.note(session, order_id=order_id, kind="routed", occurred_at=now, message=_summary(session, result),
                data={"routed_lines": result.routed_lines, "attention_lines": result.attention_lines,
                      "supplier_orders": result.supplier_order_ids})
    refresh_lifecycle(session, [order_id])
    return result


def _hold_stock(session: Session, allocations: list[Allocation]) -> None:
    """Claim stock offer by offer, in id order; any shortfall means someone was faster."""
    needed: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        needed[allocation.offer_id] += allocation.quantity
    if not needed:
        return
    offers = cast(Table, Offer.__table__)
    statement = (offers.update()
                 .where(offers.c.id == bindparam("offer"), offers.c.stock - offers.c.reserved >= bindparam("need"))
                 .values(reserved=offers.c.reserved + bindparam("need")))
    # One executemany in id order (rows lock in that order); the summed row count says whether
    # every offer still had the units.
    held = session.connection().execute(statement, [{"offer": offer_id, "need": needed[offer_id]}
                                                    for offer_id in sorted(needed)])
    if held.rowcount != len(needed):
        raise StockTaken(sorted(needed))


def reference_for(order_id: int, supplier_id: int, attempt: int) -> str:
    return f"H{order_id}-S{supplier_id}-{attempt}"


def _add_to_supplier_orders(session: Session, order: Order, routed: list[Routed], not_before: datetime) -> None:
    """The chunk's allocations join this routing's supplier order of their supplier (created on
    first need); lines and reservations go in as one statement each."""
    by_supplier: dict[int, list[tuple[int, Allocation]]] = defaultdict(list)
    for decision in routed:
        for allocation in decision.allocations:
            by_supplier[allocation.supplier_id].append((decision.line_id, allocation))
    if not by_supplier:
        return
    open_orders = _open_supplier_orders(session, order.id)
    skus = dict(session.execute(select(Offer.id, Offer.supplier_sku).where(Offer.id.in_(
        {a.offer_id for items in by_supplier.values() for _, a in items}))).all())
    line_rows: list[dict[str, object]] = []
    held_rows: list[dict[str, object]] = []
    for supplier_id, items in sorted(by_supplier.items()):
        supplier_order = open_orders.get(supplier_id)
        if supplier_order is None:
            supplier_order = _new_supplier_order(session, order.id, supplier_id, items[0][1].currency, not_before)
        supplier_order.expected_cost += sum((a.unit_cost * a.quantity for _, a in items), Decimal(0))
        supplier_order.expected_shipping += sum((a.shipping_cost * a.quantity for _, a in items), Decimal(0))
        for line_id, allocation in items:
            line_rows.append({"supplier_order_id": supplier_order.id, "order_line_id": line_id,
                              "offer_id": allocation.offer_id, "supplier_sku": skus[allocation.offer_id],
                              "quantity": allocation.quantity, "unit_cost": allocation.unit_cost,
                              "shipping_cost": allocation.shipping_cost})
            held_rows.append({"offer_id": allocation.offer_id, "order_line_id": line_id,
                              "quantity": allocation.quantity, "state": "held"})
    session.execute(insert(SupplierOrderLine), line_rows)
    session.execute(insert(Reservation), held_rows)
    session.flush()


def _new_supplier_order(session: Session, order_id: int, supplier_id: int, currency: str,
                        not_before: datetime) -> SupplierOrder:
    attempt = 1 + session.execute(select(func.count()).select_from(SupplierOrder).where(
        SupplierOrder.order_id == order_id, SupplierOrder.supplier_id == supplier_id)).scalar_one()
    reference = reference_for(order_id, supplier_id, attempt)
    supplier_order = SupplierOrder(
        order_id=order_id, supplier_id=supplier_id, attempt=attempt, reference=reference,
        idempotency_key=hashlib.sha256(f"hub-supplier-order:{reference}".encode()).hexdigest()[:40],
        state="pending", currency=currency, expected_cost=Decimal(0), expected_shipping=Decimal(0),
        not_before=not_before)
    session.add(supplier_order)
    session.flush()
    return supplier_order


def _attention_key(line_id: int, reason: str) -> str:
    return f"line:{line_id}:{reason}"


def _attention(session: Session, order: Order, line: OrderLine, decision: Unroutable) -> None:
    attention.record(session, [attention.Cause(
        _attention_key(line.id, decision.reason.value), decision.reason.value,
        f"{order.name} line {line.sku or line.title}: {decision.text}", store_id=order.store_id, order_id=order.id,
        details={"order_line_id": line.id, "sku": line.sku, "quantity": line.quantity})])


def _summary(session: Session, result: RoutingResult) -> str:
    if not result.supplier_order_ids:
        return f"No line could be routed ({result.attention_lines} need attention)"
    names = session.execute(select(Supplier.code).join(SupplierOrder, SupplierOrder.supplier_id == Supplier.id)
                            .where(SupplierOrder.id.in_(result.supplier_order_ids))).scalars().all()
    text = f"Routed {result.routed_lines} line(s) to {', '.join(sorted(names))}"
    return text + (f"; {result.attention_lines} need attention" if result.attention_lines else "")
