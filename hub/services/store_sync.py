"""Pushing stock and prices to the store: only what changed, in the fewest calls Shopify allows.

Quantities go as absolute values (`inventorySetQuantities`, 250 a call) at the store's location:
the hub's number is the truth, so no compare quantity is sent and a sale in between cannot make a
batch bounce. Prices go per product (`productVariantsBulkUpdate`); a move over the tolerance
waits on the attention list until a person approves it.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import AttentionItem, Listing, Mapping, Offer, Store
from hub.domain.outbox_kinds import OutboxKind
from hub.domain.storefront import InventoryQuantity, VariantPrice
from hub.services import attention
from hub.services.outbox_messages import Done, Failed, Outcome, enqueue
from hub.services.store_sync_plan import SyncPlan, build_plan
from hub.services.stores import credentials

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)
PRICE_APPROVAL = "price_approval"


def _approved(hub: Hub, store_id: int) -> dict[int, Decimal]:
    with hub.db.transaction() as session:
        rows = session.execute(select(AttentionItem.details).where(
            AttentionItem.kind == PRICE_APPROVAL, AttentionItem.store_id == store_id,
            AttentionItem.resolved_at.is_not(None))).scalars().all()
    return {int(d["listing_id"]): Decimal(d["price"]) for d in rows if d.get("approved")}


def plan(hub: Hub, store_id: int, settings: dict[str, Any] | None = None) -> SyncPlan:
    """What the next push would send; `settings` stand in for the store's (a preview)."""
    approved = _approved(hub, store_id)
    with hub.db.transaction() as session:
        if session.get(Store, store_id) is None:
            from hub.errors import NotFound

            raise NotFound(f"store {store_id} not found")
        return build_plan(session, store_id, utcnow().date(), approved, settings)


def _location(hub: Hub, store_id: int, storefront: Any) -> str | None:
    """The location the hub sets stock at: configured, or the first active one that ships online orders."""
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        chosen = (store.settings or {}).get("sync", {}).get("location_id")
    if chosen:
        return str(chosen)
    locations = [loc for loc in storefront.locations() if loc.active and loc.fulfills_online_orders]
    if not locations:
        return None
    with hub.db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        settings = dict(store.settings or {})
        settings["sync"] = {**settings.get("sync", {}), "location_id": locations[0].location_id}
        store.settings = settings
    return str(locations[0].location_id)


def push_inventory(hub: Hub, store_id: int) -> dict[str, int]:
    current = plan(hub, store_id)
    if not current.quantities:
        return {"listings": current.listings, "changed": 0, "calls": 0}
    storefront = hub.connectors.storefront(credentials(hub, store_id))
    try:
        location = _location(hub, store_id, storefront)
        if location is None:
            logger.warning("no location to set stock at", extra={"store_id": store_id})
            return {"listings": current.listings, "changed": len(current.quantities), "calls": 0}
        quantities = [InventoryQuantity(q.inventory_item_id, location, q.quantity) for q in current.quantities]
        storefront.set_inventory(quantities, reason="correction")
    finally:
        storefront.close()
    now = utcnow()
    with hub.db.transaction() as session:
        session.execute(update(Listing), [{"id": q.listing_id, "last_pushed_quantity": q.quantity,
                                           "last_pushed_at": now} for q in current.quantities])
    calls = -(-len(quantities) // 250)
    logger.info("stock pushed", extra={"store_id": store_id, "quantities": len(quantities), "calls": calls})
    return {"listings": current.listings, "changed": len(quantities), "calls": calls}


def push_prices(hub: Hub, store_id: int) -> dict[str, int]:
    current = plan(hub, store_id)
    live = [p for p in current.prices if not p.needs_approval]
    waiting = [p for p in current.prices if p.needs_approval]
    now = utcnow()
    with hub.db.transaction() as session:
        causes = [attention.Cause(f"price:{p.listing_id}:{p.price}", PRICE_APPROVAL,
                                  p.reason or "price change over the tolerance", store_id=store_id,
                                  details={"listing_id": p.listing_id, "price": str(p.price),
                                           "current": str(p.current) if p.current is not None else None})
                  for p in waiting]
        causes += [attention.Cause(f"price:{listing_id}:no_fx_rate", "no_fx_rate",
                                   f"listing {listing_id}: no exchange rate for its supplier's currency; price not set",
                                   store_id=store_id, details={"listing_id": listing_id})
                   for listing_id in current.no_rate]
        attention.record(session, causes, now)
        # A price that waited and no longer does (the cost moved back, another price waits now, a
        # rate arrived) is off the list: what waits now is exactly the rows above.
        attention.resolve_open(session, [AttentionItem.kind.in_((PRICE_APPROVAL, "no_fx_rate")),
                                         AttentionItem.store_id == store_id,
                                         AttentionItem.dedupe_key.not_in([c.key for c in causes])],
                               "the price no longer waits for approval", now)
    if live:
        storefront = hub.connectors.storefront(credentials(hub, store_id))
        try:
            storefront.update_variant_prices([VariantPrice(p.variant_id, p.product_id, p.price, p.compare_at)
                                              for p in live])
        finally:
            storefront.close()
        with hub.db.transaction() as session:
            session.execute(update(Listing), [{"id": p.listing_id, "last_pushed_price": p.price, "price": p.price,
                                               "compare_at_price": p.compare_at, "last_pushed_at": now}
                                              for p in live])
    return {"changed": len(live), "awaiting_approval": len(waiting), "calls": len({p.product_id for p in live})}


def approve_price(hub: Hub, item_id: int) -> None:
    """A person accepts a big price move: it is pushed at once (an outbox message that runs the
    store's price push after commit), and by every later push."""
    _decide_one(hub, item_id, approved=True)


def reject_price(hub: Hub, item_id: int) -> None:
    """A person refuses a big price move: the store keeps its price. The item stays as the record
    (its key is kept, so the same proposal is not asked again); a new proposal asks anew."""
    _decide_one(hub, item_id, approved=False)


def decide_all(hub: Hub, *, approved: bool, store_id: int | None = None) -> int:
    """Approve or reject every price waiting (of one store, or all); returns how many."""
    with hub.db.transaction() as session:
        query = select(AttentionItem).where(AttentionItem.kind == PRICE_APPROVAL,
                                            AttentionItem.resolved_at.is_(None))
        if store_id is not None:
            query = query.where(AttentionItem.store_id == store_id)
        items = list(session.execute(query.order_by(AttentionItem.id).with_for_update()).scalars())
        _decide(session, items, approved)
    return len(items)


def _decide_one(hub: Hub, item_id: int, approved: bool) -> None:
    from hub.errors import Conflict, NotFound, UserError

    with hub.db.transaction() as session:
        item = session.get(AttentionItem, item_id, with_for_update=True)
        if item is None:
            raise NotFound(f"attention item {item_id} not found")
        if item.kind != PRICE_APPROVAL:
            raise UserError(f"attention item {item_id} is not a price to approve")
        if item.resolved_at is not None:
            if bool(item.details.get("approved")) == approved and (approved or item.details.get("rejected")):
                return  # asked twice: done already
            raise Conflict(f"the price of attention item {item_id} no longer waits for a decision")
        _decide(session, [item], approved)


def _decide(session: Session, items: list[AttentionItem], approved: bool) -> None:
    now = utcnow()
    last: dict[int, int] = {}
    for item in items:
        item.details = {**item.details, "approved" if approved else "rejected": True, "decided_at": now.isoformat()}
        item.resolved_at = now
        if item.store_id is not None:
            last[item.store_id] = max(item.id, last.get(item.store_id, 0))
    if approved:  # one push per store, after commit, through the outbox (retried if the store is down)
        for store_id, item_id in sorted(last.items()):
            enqueue(session, OutboxKind.PUSH_PRICES, f"store.push_prices:{store_id}:approved:{item_id}",
                    {"store_id": store_id, "attention_item_id": item_id})


def push_approved(hub: Hub, payload: dict[str, Any]) -> Outcome:
    """The outbox handler of an approval: the store's normal price push (the plan now includes it)."""
    from hub.errors import UserError

    try:
        result = push_prices(hub, int(payload["store_id"]))
    except UserError as exc:  # the store is gone or disconnected: retrying will not help
        return Failed(str(exc))
    return Done(f"{result['changed']} prices pushed")


def push_after_feed(hub: Hub, supplier_id: int) -> dict[str, int]:
    """Right after a feed changed offers: push stock to every store that lists them, then clear the flags."""
    with hub.db.transaction() as session:
        # EXISTS per mapping, not IN (changed offers): a full feed flags every offer, and the IN
        # list made SQLite walk all of them (0.3 s for a 1M-row feed) to probe a few mappings.
        changed = exists().where(Offer.id == Mapping.offer_id, Offer.supplier_id == supplier_id,
                                 Offer.changed.is_(True))
        store_ids = sorted(set(session.execute(
            select(Listing.store_id).join(Mapping, Mapping.listing_id == Listing.id).where(changed)).scalars()))
    if not store_ids:
        return {"stores": 0, "quantities": 0}  # nothing lists them yet: the flags stay for a later push
    pushed = 0
    for store_id in store_ids:
        pushed += push_inventory(hub, store_id)["changed"]
    with hub.db.transaction() as session:  # consumed: only offers some listing maps to
        mapped = select(Mapping.offer_id)
        session.execute(update(Offer).where(Offer.supplier_id == supplier_id, Offer.changed.is_(True),
                                            Offer.id.in_(mapped))
                        .values(changed=False).execution_options(synchronize_session=False))
    return {"stores": len(store_ids), "quantities": pushed}
