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

An ordinary order is routed in one transaction of about thirty statements, set-based whatever its
lines and suppliers (see `routing_write`); its stock is held last, just before the commit, so the
offer rows that concurrent routings of the same products need stay locked for one statement's time.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, literal, or_, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import AttentionItem, Order, OrderLine, Store
from hub.domain.routing import Allocation, Routed, Unroutable, route_order
from hub.logs import with_context
from hub.services import attention, events
from hub.services.cancellation import cancel_open_supplier_orders
from hub.services.lifecycle import refresh_lifecycle
from hub.services.routing_load import Directive, demands, fx_converter, policy_of, with_scores
from hub.services.routing_write import (
    StockTaken,
    add_to_supplier_orders,
    book_estimates,
    hand_over,
    hold_stock,
    reference_for,
)

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

__all__ = ["RoutingResult", "StockTaken", "react_to_orders", "reference_for", "route", "route_pending"]

MAX_ROUTING_TRIES = 5
CHUNK_LINES = 100  # lines applied per transaction: tens of milliseconds of write lock
STALE_ROUTING = timedelta(seconds=60)  # a routing that has not moved for this long is continued
ROUTABLE_PAYMENT = ("paid", "authorized", "partially_refunded")  # never ship what nobody paid for
WAITING = ("pending", "attention")
REOPENABLE = ("new", "partially_routed", "attention", "routed")  # a person's action routes these again


class _NothingWaits(Exception):
    """A reopened order has no line waiting (another action or routing was first)."""


class LostClaim(Exception):
    """The order is no longer ours to route (cancelled, or continued by another process)."""


@dataclass
class RoutingResult:
    order_id: int
    status: str
    routed_lines: int = 0
    attention_lines: int = 0
    supplier_order_ids: list[int] = field(default_factory=list)


def route(hub: Hub, order_id: int, *, directives: Mapping[int, Directive] | None = None,
          reopen: bool = False) -> RoutingResult | None:
    """Route one order; None when it is not waiting for routing (already routed, cancelled…).
    An order of at most `CHUNK_LINES` waiting lines is routed in one transaction, claim included;
    a bigger one has its claim committed first and is routed chunk by chunk. `reopen` (a person's
    action on an attention item): an order routed before is claimed too, for its waiting lines;
    `directives` narrow those lines to what the person chose."""
    return _route(hub, order_id, directives, reopen)


@with_context(lambda hub, order_id, directives, reopen: {"order_id": order_id})
def _route(hub: Hub, order_id: int, directives: Mapping[int, Directive] | None, reopen: bool) -> RoutingResult | None:
    hold = timedelta(seconds=hub.settings.supplier_hold_seconds)
    for _ in range(MAX_ROUTING_TRIES):
        try:
            with hub.db.transaction() as session:
                token = _claim(session, order_id, REOPENABLE if reopen else ("new",))
                if token is None:
                    return None
                loaded = _load(session, order_id, limit=CHUNK_LINES + 1)  # a big order is only counted here
                if reopen and not loaded.lines:
                    raise _NothingWaits  # rolls the claim back: the order stays as it was
                if len(loaded.lines) <= CHUNK_LINES:
                    result = RoutingResult(order_id, "")
                    unheld = _apply(session, order_id, token, _decide(session, loaded, directives), result, hold,
                                    loaded)
                    finished = _finish(session, order_id, token, result, loaded.order)
                    # Last, just before the commit: the offer rows stay locked for as short a time
                    # as can be, so concurrent routings of the same products wait for each other
                    # a moment, not for a whole routing. A shortfall still rolls everything back.
                    hold_stock(session, unheld)
                    return finished
            return _route_claimed(hub, order_id, token, directives)
        except StockTaken:
            continue  # the whole order rolled back, claim included: route it again on the new stock
        except _NothingWaits:
            return None
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


def _claim(session: Session, order_id: int, statuses: tuple[str, ...] = ("new",)) -> str | None:
    token, now = uuid.uuid4().hex, utcnow()
    claimed = session.execute(update(Order).where(Order.id == order_id, Order.status.in_(statuses),
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


def _route_claimed(hub: Hub, order_id: int, token: str,
                   directives: Mapping[int, Directive] | None = None) -> RoutingResult | None:
    result = RoutingResult(order_id, "")
    hold = timedelta(seconds=hub.settings.supplier_hold_seconds)
    try:
        for _ in range(MAX_ROUTING_TRIES):
            with hub.db.read() as session:
                decisions = _decide(session, _load(session, order_id), directives).decisions
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


@dataclass
class _Loaded:
    """An order as routing reads it: the row, its store's settings, its lines waiting for routing."""

    order: Order
    store_settings: dict[str, Any]
    lines: list[OrderLine]


@dataclass
class _Decided:
    decisions: list[Routed | Unroutable]
    skus: dict[int, str]  # offer id → supplier SKU, from the same read


def _load(session: Session, order_id: int, limit: int | None = None) -> _Loaded:
    """The order with its store's settings, and its waiting lines (the first `limit` of them)."""
    order, settings = session.execute(select(Order, Store.settings).join(Store, Store.id == Order.store_id)
                                      .where(Order.id == order_id)).one()
    lines = list(session.execute(select(OrderLine).where(
        OrderLine.order_id == order_id, OrderLine.routing_status.in_(WAITING),
        OrderLine.requires_shipping.is_(True)).order_by(OrderLine.id).limit(limit)).scalars())
    return _Loaded(order, settings, lines)


def _decide(session: Session, loaded: _Loaded, directives: Mapping[int, Directive] | None = None) -> _Decided:
    """The choice for every line still waiting, made once for the whole order (consolidation
    included); for a big order from a read that takes no write lock."""
    order, skus = loaded.order, dict[int, str]()
    country = (order.shipping_address or {}).get("country_code")
    wanted = demands(session, order, loaded.lines, skus, directives)
    decisions = route_order(wanted, country, with_scores(session, policy_of(loaded.store_settings), wanted),
                            fx_converter(session, order.placed_at.date()))
    return _Decided(decisions, skus)


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


def _apply(session: Session, order_id: int, token: str, decided: _Decided | list[Routed | Unroutable],
           result: RoutingResult, hold: timedelta, loaded: _Loaded | None = None) -> list[Allocation]:
    """Hold the stock of these decisions, set their lines, add their supplier order lines and
    attention items. `loaded`: read in this transaction, after the claim it holds (the one-
    transaction routing), which holds the stock itself at its end: the allocations to hold are
    returned; without it (a chunk of a big order) the claim and lines are re-read, and the stock
    is held here (nothing is returned)."""
    decisions = decided.decisions if isinstance(decided, _Decided) else decided
    if loaded is None:
        order = _own(session, order_id, token)
        lines = {line.id: line for line in session.execute(select(OrderLine).where(
            OrderLine.id.in_([d.line_id for d in decisions]), OrderLine.routing_status.in_(WAITING))).scalars()}
        if len(lines) != len(decisions):
            raise StockTaken("lines changed since the decision")
    else:
        order, lines = loaded.order, {line.id: line for line in loaded.lines}
    routed = [d for d in decisions if isinstance(d, Routed)]
    allocations = [a for d in routed for a in d.allocations]
    if loaded is None:
        hold_stock(session, allocations)
    now = utcnow()
    cleared: list[str] = []  # attention keys of lines that waited and are routed now
    superseded: list[str] = []  # … and of lines that still wait, for another reason now
    line_rows = []
    for decision in decisions:
        line = lines[decision.line_id]
        if isinstance(decision, Unroutable):
            line_rows.append({"line": line.id, "status": "attention", "reason": decision.reason.value})
            _attention(session, order, line, decision)
            if line.routing_status == "attention" and line.attention_reason not in (None, decision.reason.value):
                superseded.append(_attention_key(line.id, str(line.attention_reason)))
        else:
            if line.routing_status == "attention" and line.attention_reason:
                cleared.append(_attention_key(line.id, line.attention_reason))
            line_rows.append({"line": line.id, "status": "routed", "reason": None})
            result.routed_lines += 1
    _set_lines(session, line_rows)
    if cleared:
        attention.resolve_open(session, [AttentionItem.dedupe_key.in_(cleared)], "the line is routed now", now)
    if superseded:
        attention.resolve_open(session, [AttentionItem.dedupe_key.in_(superseded)],
                               "the line needs attention for another reason now", now)
    # a chunk's SKUs are looked up in its own transaction; the one-transaction routing read them already
    add_to_supplier_orders(session, order.id, routed, now + hold,
                           decided.skus if isinstance(decided, _Decided) and loaded is not None else {})
    return [] if loaded is None else allocations


def _set_lines(session: Session, rows: list[dict[str, Any]]) -> None:
    """One executemany, each line only while it still waits: a line another transaction moved
    meanwhile (row count short) rolls the routing back, to be decided again."""
    if not rows:
        return
    table = cast(Table, OrderLine.__table__)
    moved = session.connection().execute(
        table.update().where(table.c.id == bindparam("line"),  # no IN (…) in an executemany: one test each
                             or_(*(table.c.routing_status == literal(status) for status in WAITING)))
        .values(routing_status=bindparam("status"), attention_reason=bindparam("reason")), rows)
    if moved.rowcount != len(rows):
        raise StockTaken("lines changed since the decision")


def _finish(session: Session, order_id: int, token: str, result: RoutingResult,
            owned: Order | None = None) -> RoutingResult:
    """Hand this routing's supplier orders to the outbox, book their estimates, set the status.
    `owned`: the order, claimed in this same transaction (no need to re-check the claim)."""
    order = owned if owned is not None else _own(session, order_id, token)
    now = utcnow()
    created = hand_over(session, order)
    states = dict(session.execute(select(OrderLine.routing_status, func.count()).where(
        OrderLine.order_id == order_id, OrderLine.requires_shipping.is_(True))
        .group_by(OrderLine.routing_status)).all())
    result.supplier_order_ids = [so.id for so in created]
    result.attention_lines = int(states.get("attention", 0))
    result.status = ("new" if states.get("pending") else  # lost too many races: the next pass goes on
                     "routed" if not states.get("attention") else
                     "partially_routed" if states.get("routed") else "attention")
    order.status, order.routing_token, order.routing_beat = result.status, None, None
    events.note(session, order_id=order_id, kind="routed", occurred_at=now,
                message=_summary(result, [so.supplier_code for so in created]),
                data={"routed_lines": result.routed_lines, "attention_lines": result.attention_lines,
                      "supplier_orders": result.supplier_order_ids})
    refresh_lifecycle(session, [order_id])
    book_estimates(session, order, created)  # late: the store's ledger sums stay locked until the commit
    return result


def _attention_key(line_id: int, reason: str) -> str:
    return f"line:{line_id}:{reason}"


def _attention(session: Session, order: Order, line: OrderLine, decision: Unroutable) -> None:
    attention.record(session, [attention.Cause(
        _attention_key(line.id, decision.reason.value), decision.reason.value,
        f"{order.name} line {line.sku or line.title}: {decision.text}", store_id=order.store_id, order_id=order.id,
        details={"order_line_id": line.id, "sku": line.sku, "quantity": line.quantity})])


def _summary(result: RoutingResult, codes: list[str]) -> str:
    if not result.supplier_order_ids:
        return f"No line could be routed ({result.attention_lines} need attention)"
    text = f"Routed {result.routed_lines} line(s) to {', '.join(sorted(codes))}"
    return text + (f"; {result.attention_lines} need attention" if result.attention_lines else "")
