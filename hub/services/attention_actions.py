"""Acting on an attention item: the action that ends its cause, then the order moves on at once.

Each action is two steps. First one short transaction holds the item's row (checked still open),
records what the person asked on the order's timeline and prepares the change (a mapping, lines
waiting again, a cancellation in the outbox, a snooze). Then the order goes through the normal
routing (`routing.route`, with the person's choice as a `Directive`), which holds the stock, writes
the supplier orders and hands them to the outbox. The item is never closed by the button: routing
closes a line's item once the line is routed, `_settled` closes the others once their condition
is gone, and what is still wrong stays on the list with words saying why. Two clicks or two admins
cannot double anything: the item row is locked, the order is claimed by routing (`… WHERE status`),
lines are set only while they wait, and placement goes through the outbox's idempotency key.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import AttentionItem, Listing, Mapping, Offer, Order, OrderLine, Supplier, SupplierOrder
from hub.db.models import SupplierOrderLine as SOLine
from hub.db.sql import insert_ignore
from hub.domain import attention_actions as rules
from hub.domain.attention_actions import Action, ActionRefused
from hub.domain.outbox_kinds import OutboxKind
from hub.domain.routing import Attention
from hub.errors import Conflict, NotFound
from hub.services import attention, events, routing, store_sync
from hub.services import outbox_messages as messages
from hub.services.attention_state import (
    ActionError,
    Item,
    Outcome,
    gone,
    line_of,
    outcome_of,
    stranded_lines,
    where_it_stands,
)
from hub.services.routing_load import Directive

if TYPE_CHECKING:
    from hub.bootstrap import Hub

__all__ = ["ActionError", "Outcome", "act", "outcome_of"]

MAX_ID = 2**63 - 1  # BIGINT ids: a longer number names no offer
CLAIM_FOR = timedelta(minutes=2)  # an action's claim on its item, should its process die
OTHERS_AT_ONCE = 100  # other orders waiting for a product just mapped, routed in the same request


def act(hub: Hub, item_id: int, action: str, *, offer: str = "", reason: str = "",
        actor: str = "the admin") -> Outcome:
    """Run `action` on the item. `offer`: an offer id or SUPPLIER:SKU (map, route to); `reason`:
    why (required to dismiss, kept on the timeline otherwise). UserError when it cannot be done."""
    with hub.db.read() as session:
        row = session.get(AttentionItem, item_id)
        if row is None:
            raise NotFound(f"attention item {item_id} not found")
        item = Item(row.id, row.kind, row.order_id, row.supplier_order_id, dict(row.details or {}))
        closed = row.resolved_at is not None
        offer_id = _offer_id(session, offer) if offer.strip() else None
    try:
        request = rules.check(item.kind, action, offer_id=offer_id, reason=reason)
    except ActionRefused as exc:
        raise ActionError(str(exc), exc.field) from None
    if closed:
        raise Conflict("This item is closed already: nothing left to do.")
    return _HANDLERS[request.action](hub, item, request, actor)


def _offer_id(session: Session, text: str) -> int:
    """An offer on sale, named by its id or as SUPPLIER:SKU."""
    text = text.strip()
    query = select(Offer.id, Offer.active & Supplier.active).join(Supplier, Supplier.id == Offer.supplier_id)
    if text.isascii() and text.isdigit():
        found = session.execute(query.where(Offer.id == int(text))).first() if int(text) <= MAX_ID else None
    else:
        code, _, sku = text.partition(":")
        found = session.execute(query.where(Supplier.code == code.strip(), Offer.supplier_sku == sku.strip())).first()
    if found is None:
        raise ActionError(f"No offer {text[:80]!r}: write SUPPLIER:SKU or pick one from the list.", "offer")
    if not found[1]:
        raise ActionError(f"{text[:80]} is not on sale (the offer or its supplier is switched off).", "offer")
    return int(found[0])


def _hold(session: Session, item: Item, *, claim: bool = False) -> AttentionItem:
    """The item's row, locked for this transaction and still open (else a second click: Conflict).
    `claim`: an action that routes after this transaction marks the item as taken until it has
    settled (`_settled` lets go), so a second click meanwhile is refused rather than run twice;
    a mark left by a process that died lapses after `CLAIM_FOR`."""
    row = session.execute(select(AttentionItem).where(AttentionItem.id == item.id).with_for_update()).scalar_one()
    if row.resolved_at is not None:
        raise Conflict("This item is closed already: nothing left to do.")
    now = utcnow()
    taken = (row.details or {}).get("claimed_at")
    if taken and datetime.fromisoformat(taken) > now - CLAIM_FOR:
        raise Conflict("Another action on this item is under way: look again in a moment.")
    if claim:
        row.details = {**(row.details or {}), "claimed_at": now.isoformat()}
    return row


def _note(session: Session, item: Item, actor: str, message: str, request: rules.Request,
          **data: Any) -> None:
    if item.order_id is not None:
        why = f" — {request.reason}" if request.reason else ""
        events.note(session, order_id=item.order_id, kind="attention_action", message=f"{message} ({actor}){why}",
                    data={"attention_item_id": item.id, "action": request.action.value, "by": actor,
                          "reason": request.reason, **data})


def _map(hub: Hub, item: Item, request: rules.Request, actor: str) -> Outcome:
    """No mapping: map the line's product to the offer (its listing made from the line if the
    store's products were never synced), then route the order again."""
    with hub.db.transaction() as session:
        _hold(session, item, claim=True)
        line = line_of(session, item)
        order = session.get(Order, line.order_id)
        assert order is not None
        listing_id = line.listing_id or _listing_for(session, order, line)
        offer, code = session.execute(select(Offer, Supplier.code).join(Supplier, Supplier.id == Offer.supplier_id)
                                      .where(Offer.id == request.offer_id)).one()
        highest = session.execute(select(func.max(Mapping.priority)).where(Mapping.listing_id == listing_id)
                                  ).scalar_one()
        insert_ignore(session, Mapping.__table__, [{  # type: ignore[arg-type]
            "listing_id": listing_id, "offer_id": offer.id, "priority": 0 if highest is None else highest + 1,
            "quantity": 1, "source": "manual", "created_at": utcnow()}], conflict=["listing_id", "offer_id"])
        _note(session, item, actor, f"{line.sku or line.title} mapped to {code}:{offer.supplier_sku}", request,
              offer_id=offer.id)
        others = _waiting_for_the_product(session, order.store_id, line)
    outcome = _route_and_settle(hub, item, request, {})
    moved = sum(1 for order_id in others
                if (routing.route(hub, order_id, reopen=True) or routing.RoutingResult(0, "")).routed_lines)
    if moved:
        outcome = replace(outcome, message=f"{outcome.message} {moved} other order(s) waiting for this product "
                                           "were routed too.")
    return outcome


def _waiting_for_the_product(session: Session, store_id: int, line: OrderLine) -> list[int]:
    """Other orders of the store with a line of this product waiting for a mapping: routed next."""
    same = [OrderLine.variant_id == line.variant_id] if line.variant_id else []
    same += [OrderLine.sku == line.sku] if line.sku else []
    return list(session.execute(select(OrderLine.order_id).join(Order, Order.id == OrderLine.order_id).where(
        Order.store_id == store_id, OrderLine.order_id != line.order_id, OrderLine.routing_status == "attention",
        OrderLine.attention_reason == Attention.NO_MAPPING.value, or_(*same))
        .distinct().order_by(OrderLine.order_id).limit(OTHERS_AT_ONCE)).scalars())


def _listing_for(session: Session, order: Order, line: OrderLine) -> int:
    """The store listing of the line (by variant, then SKU), created from the line when missing."""
    if not line.variant_id and not line.sku:
        raise ActionError("This line has neither a variant nor a SKU: map it in the catalogue.")
    same = [Listing.variant_id == line.variant_id] if line.variant_id else []
    same += [Listing.sku == line.sku] if line.sku else []
    found = session.execute(select(Listing.id).where(Listing.store_id == order.store_id, Listing.active.is_(True),
                                                     or_(*same)).order_by(Listing.id).limit(1)).scalar_one_or_none()
    if found is not None:
        return int(found)
    listing = Listing(store_id=order.store_id, variant_id=line.variant_id or f"sku:{line.sku}"[:64],
                      product_id=line.product_id, sku=line.sku, title=line.title, price=line.unit_price,
                      currency=order.currency)
    session.add(listing)
    session.flush()
    return listing.id


def _line_actions(hub: Hub, item: Item, request: rules.Request, actor: str) -> Outcome:
    """Route to an offer, place once over the rules, or retry a supplier that refused: the lines
    concerned wait again, and routing sends them where the person said."""
    with hub.db.transaction() as session:
        _hold(session, item, claim=True)
        line_ids, supplier_id = _lines_of(session, item)
        # nothing waits any more (another action, or routing, was first): None
        directives = _redirect(session, item, request, actor, line_ids, supplier_id) if line_ids else None
    if directives is None:
        return _settled(hub, item, request)
    return _route_and_settle(hub, item, request, directives)


def _redirect(session: Session, item: Item, request: rules.Request, actor: str, line_ids: list[int],
              supplier_id: int | None) -> dict[int, Directive]:
    """The lines wait again, the person's choice goes on the timeline; returns it for routing."""
    offer_words, retry = "", frozenset[int]()
    if request.offer_id is not None:
        sku, code = session.execute(select(Offer.supplier_sku, Supplier.code).join(
            Supplier, Supplier.id == Offer.supplier_id).where(Offer.id == request.offer_id)).one()
        offer_words = f"{code}:{sku}"
    if request.action is Action.RETRY and supplier_id is not None:
        retry = frozenset({supplier_id})
    # Lines of a refused supplier order that stayed with it (the store does not reroute) wait again.
    session.execute(update(OrderLine).where(OrderLine.id.in_(line_ids), OrderLine.routing_status == "routed")
                    .values(routing_status="attention").execution_options(synchronize_session=False))
    said = {Action.ROUTE_TO: f"Route to {offer_words}", Action.PLACE_ONCE: "Place once over the cost rules",
            Action.RETRY: "Retry with the same supplier"}[request.action]
    _note(session, item, actor, said, request, lines=line_ids)
    return {line_id: Directive(_offers_for(session, item, line_id, request), retry,
                               waive_limits=request.action is Action.PLACE_ONCE) for line_id in line_ids}


def _offers_for(session: Session, item: Item, line_id: int, request: rules.Request) -> tuple[int, ...]:
    if request.offer_id is not None:
        return (request.offer_id,)
    if request.action is Action.RETRY and item.supplier_order_id is not None:
        return tuple(session.execute(select(SOLine.offer_id).where(
            SOLine.supplier_order_id == item.supplier_order_id, SOLine.order_line_id == line_id)).scalars())
    return ()


def _lines_of(session: Session, item: Item) -> tuple[list[int], int | None]:
    """The lines the item is about that still wait for a supplier, and the supplier at fault."""
    if item.kind in rules.LINE_KINDS:
        line = line_of(session, item)
        waiting = line.routing_status == "attention" and line.attention_reason == item.kind
        return ([line.id] if waiting else []), None
    if item.supplier_order_id is None:
        raise ActionError("This item names no supplier order.")
    supplier_id = session.execute(select(SupplierOrder.supplier_id).where(
        SupplierOrder.id == item.supplier_order_id)).scalar_one()
    return stranded_lines(session, item.supplier_order_id), int(supplier_id)


def _route_and_settle(hub: Hub, item: Item, request: rules.Request, directives: dict[int, Directive]) -> Outcome:
    if item.order_id is not None:
        routing.route(hub, item.order_id, directives=directives, reopen=True)
    return _settled(hub, item, request)


def _settled(hub: Hub, item: Item, request: rules.Request) -> Outcome:
    """Close the item if its cause is gone (routing closes a routed line's item itself), and say
    where things stand."""
    now = utcnow()
    with hub.db.transaction() as session:
        row = session.execute(select(AttentionItem).where(AttentionItem.id == item.id).with_for_update()
                              ).scalar_one()
        row.details = {k: v for k, v in (row.details or {}).items() if k != "claimed_at"}  # settled: let go
        why = None if row.resolved_at is not None else gone(session, item, now)
        if why:
            attention.resolve_open(session, [AttentionItem.id == item.id], why, now)
        closed = row.resolved_at is not None or why is not None
        return Outcome(item.id, request.action.value, closed, where_it_stands(session, item, closed),
                       item.order_id)


def _approve(hub: Hub, item: Item, request: rules.Request, actor: str) -> Outcome:
    """A price move over the tolerance: approved (pushed to the store through the outbox) or
    refused (the store keeps its price) by the catalogue's own functions."""
    if request.action is Action.APPROVE:
        store_sync.approve_price(hub, item.id)
    else:
        store_sync.reject_price(hub, item.id)
    return _now(hub, item, request)


def _contacted(hub: Hub, item: Item, request: rules.Request, actor: str) -> Outcome:
    """The supplier was asked where the parcel is: noted, and the item sleeps for `SNOOZE`."""
    now = utcnow()
    until = now + rules.SNOOZE
    with hub.db.transaction() as session:
        row = _hold(session, item)
        row.details = {**(row.details or {}), "snoozed_until": until.isoformat(), "contacted_at": now.isoformat(),
                       "contacted_by": actor, "contact_note": request.reason}
        _note(session, item, actor, "Supplier contacted about the late shipment", request,
              snoozed_until=until.isoformat())
    return _now(hub, item, request)


def _now(hub: Hub, item: Item, request: rules.Request) -> Outcome:
    """Where the item stands now, in the words the page shows after the redirect."""
    outcome = outcome_of(hub, item.id, request.action.value)
    assert outcome is not None  # items are never deleted
    return outcome


def _cancel_reroute(hub: Hub, item: Item, request: rules.Request, actor: str) -> Outcome:
    """Ask the supplier to cancel (through the outbox); once it confirms, the lines are routed
    again without it and the item closes (`cancellation.cancel_at_supplier`)."""
    with hub.db.transaction() as session:
        _hold(session, item)
        assert item.supplier_order_id is not None
        reference, state = session.execute(select(SupplierOrder.reference, SupplierOrder.state).where(
            SupplierOrder.id == item.supplier_order_id)).one()
        if state != "accepted":
            raise ActionError(f"{reference} is {state}: there is nothing to cancel.")
        queued = messages.enqueue(session, OutboxKind.CANCEL, f"cancel:{item.supplier_order_id}",
                                  {"supplier_order_id": item.supplier_order_id, "reroute": True})
        if queued:
            _note(session, item, actor, f"Asked the supplier to cancel {reference}, to route it again", request)
    if not queued:
        return Outcome(item.id, request.action.value, False, f"Cancelling {reference} is already asked.",
                       item.order_id)
    return _now(hub, item, request)


def _dismiss(hub: Hub, item: Item, request: rules.Request, actor: str) -> Outcome:
    """Put the item away without ending its cause: who and why go on the order's timeline."""
    with hub.db.transaction() as session:
        row = _hold(session, item)
        row.details = {**(row.details or {}), "dismissed_by": actor, "dismiss_reason": request.reason}
        attention.resolve_open(session, [AttentionItem.id == item.id],
                               f"dismissed by {actor}: {request.reason}")
    return _now(hub, item, request)


_HANDLERS = {Action.MAP: _map, Action.ROUTE_TO: _line_actions, Action.PLACE_ONCE: _line_actions,
             Action.RETRY: _line_actions, Action.APPROVE: _approve, Action.REJECT: _approve,
             Action.CONTACTED: _contacted, Action.CANCEL_REROUTE: _cancel_reroute, Action.DISMISS: _dismiss}
