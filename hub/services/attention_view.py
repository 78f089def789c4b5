"""What the attention list shows with each item: its actions, and the offers a line could go to.

The candidates of a line are the offers its listing maps to and those sharing its SKU or barcode,
each with stock left, landed cost and the countries it ships to, usable ones first; for a refused
or cancelled supplier order, those of its lines from other suppliers. A search by supplier SKU or
title finds offers to map a product that has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import AttentionItem, Listing, Mapping, Offer, Order, OrderLine, Supplier, SupplierOrder
from hub.db.models import SupplierOrderLine as SOLine
from hub.domain import attention_actions as rules
from hub.domain.money import format_amount
from hub.errors import NotFound

if TYPE_CHECKING:
    from hub.bootstrap import Hub

CANDIDATES = 8  # offers shown per item


@dataclass(frozen=True)
class OfferChoice:
    offer_id: int
    supplier: str
    sku: str
    title: str | None
    cost: Decimal
    shipping: Decimal
    currency: str
    available: int
    countries: list[str]
    ships: bool  # to the order's country
    enough: bool  # stock for the line's quantity

    @property
    def usable(self) -> bool:
        return self.ships and self.enough

    @property
    def cost_text(self) -> str:
        return format_amount(self.cost, self.currency)

    @property
    def shipping_text(self) -> str:
        return format_amount(self.shipping, self.currency)

    def as_dict(self) -> dict[str, Any]:
        return {"offer_id": self.offer_id, "supplier": self.supplier, "sku": self.sku, "title": self.title,
                "cost": self.cost_text, "shipping": self.shipping_text, "currency": self.currency,
                "available": self.available, "countries": self.countries, "ships": self.ships,
                "enough_stock": self.enough}


@dataclass
class Entry:
    id: int
    kind: str
    kind_words: str
    reason: str
    order_id: int | None
    store_id: int | None
    created_at: datetime
    details: dict[str, Any]
    actions: list[str]
    snoozed_until: datetime | None = None
    candidates: list[OfferChoice] = field(default_factory=list)


def entries(hub: Hub, *, limit: int = 200, now: datetime | None = None) -> tuple[list[Entry], list[Entry]]:
    """The open items, newest first: those to act on now, and those snoozed until a later time."""
    now = now or utcnow()
    with hub.db.read() as session:
        rows = list(session.execute(select(AttentionItem).where(AttentionItem.resolved_at.is_(None))
                                    .order_by(AttentionItem.id.desc()).limit(limit)).scalars())
        active: list[Entry] = []
        snoozed: list[Entry] = []
        for row in rows:
            entry = _entry(session, row)
            (snoozed if entry.snoozed_until and entry.snoozed_until > now else active).append(entry)
    return active, snoozed


def _entry(session: Session, row: AttentionItem) -> Entry:
    details = dict(row.details or {})
    until = details.get("snoozed_until")
    actions = [a.value for a in rules.actions_for(row.kind)]
    entry = Entry(row.id, row.kind, rules.KIND_WORDS.get(row.kind, row.kind.replace("_", " ")), row.reason,
                  row.order_id, row.store_id, row.created_at, details, actions,
                  datetime.fromisoformat(until) if until else None)
    if rules.Action.ROUTE_TO in rules.actions_for(row.kind):
        entry.candidates = _candidates(session, row)
    return entry


def open_for_order(hub: Hub, order_id: int) -> list[Entry]:
    """The order's open items (for its page, each linking to its action on the attention list)."""
    with hub.db.read() as session:
        rows = session.execute(select(AttentionItem).where(AttentionItem.order_id == order_id,
                                                           AttentionItem.resolved_at.is_(None))
                               .order_by(AttentionItem.id)).scalars().all()
        return [Entry(r.id, r.kind, rules.KIND_WORDS.get(r.kind, r.kind.replace("_", " ")), r.reason, r.order_id,
                      r.store_id, r.created_at, dict(r.details or {}), []) for r in rows]


def offers_for(hub: Hub, item_id: int) -> list[OfferChoice]:
    """The offers the item's line(s) could go to (empty for an item about no line)."""
    with hub.db.read() as session:
        row = session.get(AttentionItem, item_id)
        if row is None:
            raise NotFound(f"attention item {item_id} not found")
        return _candidates(session, row, limit=50)


def _candidates(session: Session, row: AttentionItem, limit: int = CANDIDATES) -> list[OfferChoice]:
    line_ids: list[int]
    barred: set[int] = set()
    if row.kind in rules.LINE_KINDS and row.details.get("order_line_id") is not None:
        line_ids = [int(row.details["order_line_id"])]
    elif row.supplier_order_id is not None:
        line_ids = list(session.execute(select(SOLine.order_line_id).where(
            SOLine.supplier_order_id == row.supplier_order_id)).scalars())
        barred = set(session.execute(select(SupplierOrder.supplier_id).where(
            SupplierOrder.id == row.supplier_order_id)).scalars())
    else:
        return []
    lines = list(session.execute(select(OrderLine, Order.store_id, Order.shipping_address).join(
        Order, Order.id == OrderLine.order_id).where(OrderLine.id.in_(line_ids))).all())
    if not lines:
        return []
    quantity = max(line.quantity for line, _, _ in lines)
    store_id, address = lines[0][1], lines[0][2] or {}
    skus = {line.sku for line, _, _ in lines if line.sku}
    variants = {line.variant_id for line, _, _ in lines if line.variant_id}
    listing_ids = {line.listing_id for line, _, _ in lines if line.listing_id}
    listings = session.execute(select(Listing.id, Listing.barcode).where(
        Listing.store_id == store_id, or_(Listing.id.in_(listing_ids), Listing.variant_id.in_(variants),
                                          Listing.sku.in_(skus)))).all()
    barcodes = {barcode for _, barcode in listings if barcode}
    mapped = select(Mapping.offer_id).where(Mapping.listing_id.in_([i for i, _ in listings]))
    query = _offers().where(or_(Offer.id.in_(mapped), Offer.supplier_sku.in_(skus), Offer.gtin.in_(barcodes)))
    if barred:
        query = query.where(Offer.supplier_id.not_in(barred))
    choices = [_choice(r, address.get("country_code"), quantity) for r in session.execute(query.limit(200)).all()]
    choices.sort(key=lambda c: (not c.usable, c.cost + c.shipping, c.offer_id))
    return choices[:limit]


def search(hub: Hub, text: str, *, limit: int = 20) -> list[OfferChoice]:
    """Offers whose supplier SKU or title holds `text` (or SUPPLIER:SKU), in stock first."""
    text = " ".join(text.split())[:100]
    if not text:
        return []
    code, colon, sku = text.partition(":")
    with hub.db.read() as session:
        if colon:
            query = _offers().where(Supplier.code == code.strip(), func.lower(Offer.supplier_sku).contains(
                sku.strip().lower(), autoescape=True))
        else:
            needle = text.lower()
            query = _offers().where(or_(func.lower(Offer.supplier_sku).contains(needle, autoescape=True),
                                        func.lower(Offer.title).contains(needle, autoescape=True)))
        rows = session.execute(query.order_by((Offer.stock - Offer.reserved) <= 0, Offer.id).limit(limit)).all()
        return [_choice(row, None, 1) for row in rows]


def _offers() -> Any:
    return (select(Offer.id, Supplier.code, Offer.supplier_sku, Offer.title, Offer.cost, Offer.shipping_cost,
                   Offer.currency, Offer.stock, Offer.reserved, Offer.countries)
            .join(Supplier, Supplier.id == Offer.supplier_id)
            .where(Offer.active.is_(True), Supplier.active.is_(True)))


def _choice(row: Any, country: str | None, quantity: int) -> OfferChoice:
    countries = sorted(row.countries or [])
    available = max(0, row.stock - row.reserved)
    return OfferChoice(row.id, row.code, row.supplier_sku, row.title, row.cost, row.shipping_cost or Decimal(0),
                       row.currency, available, countries, not countries or country in countries,
                       available >= quantity)
