"""What the catalogue pages read: listings (unmapped first), their mappings, offers, prices waiting.

Every list is one page of a keyset: a store may hold 10,000+ listings and a supplier a million
offers, so nothing is read whole. Listings are ordered by (mapped, id) — the unmapped ones first,
as they are what needs a person — and the cursor is the last (mapped, id) shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from hub.db.engine import Database
from hub.db.models import AttentionItem, Listing, Mapping, Offer, Store, Supplier
from hub.errors import BadRequest, NotFound
from hub.services.stock_cover import KEY_PREFIX, RUNNING_OUT
from hub.services.store_sync import PRICE_APPROVAL

PAGE = 50
STATUSES = ("all", "unmapped", "mapped", "running_out")


@dataclass(frozen=True)
class ListingRow:
    id: int
    store_id: int
    store_name: str
    sku: str | None
    title: str | None
    price: str | None
    currency: str
    mapped: bool


@dataclass(frozen=True)
class MappingRow:
    id: int
    listing_id: int
    supplier: str
    supplier_sku: str
    title: str | None
    priority: int
    quantity: int
    stock: int
    available: int  # stock minus what routed lines hold: what routing sees
    usable: bool  # offer and supplier active
    source: str


@dataclass(frozen=True)
class OfferRow:
    id: int
    supplier: str
    supplier_sku: str
    title: str | None
    cost: str
    shipping_cost: str | None
    currency: str
    stock: int
    available: int
    active: bool
    updated_at: datetime


def money(amount: Decimal | str | None) -> str | None:
    """An amount as people write it: cents kept, the storage scale's trailing zeros dropped (10.9900 → 10.99)."""
    if amount is None:
        return None
    value = Decimal(str(amount))
    cents = value.quantize(Decimal("0.01"))
    return str(cents if cents == value else value.normalize())


def _text_filter(q: str, *columns: Any) -> Any:
    needle = q.strip().lower()
    return or_(*(func.lower(column).contains(needle, autoescape=True) for column in columns))


def _cursor(cursor: str | None, parts: int) -> tuple[int, ...] | None:
    if not cursor:
        return None
    try:
        values = tuple(int(part) for part in cursor.split("."))
    except ValueError:
        values = ()
    if len(values) != parts or any(v < 0 for v in values):
        raise BadRequest("that page link is not valid: start from the first page")
    return values


def listings_page(db: Database, *, store_id: int | None = None, q: str = "", status: str = "all",
                  cursor: str | None = None, limit: int = PAGE) -> tuple[list[ListingRow], str | None]:
    """One page of active listings, unmapped first, filtered by store, SKU/title text and status."""
    mapped = exists().where(Mapping.listing_id == Listing.id)
    mapped_flag = case((mapped, 1), else_=0)
    query = (select(Listing.id, Listing.store_id, Store.name, Listing.sku, Listing.title, Listing.price,
                    Listing.currency, mapped_flag.label("mapped"))
             .join(Store, Store.id == Listing.store_id).where(Listing.active.is_(True)))
    if store_id is not None:
        query = query.where(Listing.store_id == store_id)
    if q.strip():
        query = query.where(_text_filter(q, Listing.sku, Listing.title))
    if status == "unmapped":
        query = query.where(~mapped)
    elif status == "mapped":
        query = query.where(mapped)
    elif status == "running_out":  # flagged by the stock.cover job: one open item per listing
        query = query.where(exists().where(
            AttentionItem.dedupe_key == literal(KEY_PREFIX, String).concat(cast(Listing.id, String)),
            AttentionItem.kind == RUNNING_OUT, AttentionItem.resolved_at.is_(None)))
    after = _cursor(cursor, 2)
    if after is not None:
        query = query.where(or_(mapped_flag > after[0], and_(mapped_flag == after[0], Listing.id > after[1])))
    with db.read() as session:
        rows = session.execute(query.order_by(mapped_flag, Listing.id).limit(limit + 1)).all()
    page = [ListingRow(r[0], r[1], r[2], r[3], r[4], money(r[5]), r[6], bool(r[7])) for r in rows[:limit]]
    last = page[-1] if len(rows) > limit else None
    return page, (f"{int(last.mapped)}.{last.id}" if last else None)


def mappings_of(session: Session, listing_ids: list[int]) -> dict[int, list[MappingRow]]:
    if not listing_ids:
        return {}
    rows = session.execute(
        select(Mapping.id, Mapping.listing_id, Supplier.code, Offer.supplier_sku, Offer.title, Mapping.priority,
               Mapping.quantity, Offer.stock, Offer.reserved, Offer.active, Supplier.active, Mapping.source)
        .join(Offer, Offer.id == Mapping.offer_id).join(Supplier, Supplier.id == Offer.supplier_id)
        .where(Mapping.listing_id.in_(listing_ids)).order_by(Mapping.listing_id, Mapping.priority, Mapping.id)).all()
    found: dict[int, list[MappingRow]] = {}
    for r in rows:
        found.setdefault(r[1], []).append(MappingRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                                                     max(0, r[7] - r[8]), bool(r[9] and r[10]), r[11]))
    return found


def listing(db: Database, listing_id: int) -> tuple[ListingRow, list[MappingRow]]:
    with db.read() as session:
        row = session.execute(select(Listing, Store.name).join(Store, Store.id == Listing.store_id)
                              .where(Listing.id == listing_id)).first()
        if row is None:
            raise NotFound(f"listing {listing_id} not found")
        item, store_name = row
        mappings = mappings_of(session, [listing_id]).get(listing_id, [])
    return (ListingRow(item.id, item.store_id, store_name, item.sku, item.title, money(item.price), item.currency,
                       bool(mappings)), mappings)


def offers_page(db: Database, *, supplier: str = "", q: str = "", cursor: str | None = None,
                limit: int = PAGE) -> tuple[list[OfferRow], str | None]:
    """One page of offers (a supplier's, or all), by id, filtered by supplier SKU/title text."""
    query = (select(Offer.id, Supplier.code, Offer.supplier_sku, Offer.title, Offer.cost, Offer.shipping_cost,
                    Offer.currency, Offer.stock, Offer.reserved, Offer.active, Supplier.active, Offer.updated_at)
             .join(Supplier, Supplier.id == Offer.supplier_id))
    if supplier:
        query = query.where(Supplier.code == supplier)
    if q.strip():
        query = query.where(_text_filter(q, Offer.supplier_sku, Offer.title))
    after = _cursor(cursor, 1)
    if after is not None:
        query = query.where(Offer.id > after[0])
    with db.read() as session:
        rows = session.execute(query.order_by(Offer.id).limit(limit + 1)).all()
    page = [OfferRow(r[0], r[1], r[2], r[3], money(r[4]) or "", money(r[5]), r[6], r[7], max(0, r[7] - r[8]),
                     bool(r[9] and r[10]), r[11]) for r in rows[:limit]]
    return page, (str(page[-1].id) if len(rows) > limit else None)


def suppliers(db: Database) -> list[tuple[str, str]]:
    with db.read() as session:
        return [(code, name) for code, name in session.execute(select(Supplier.code, Supplier.name)
                                                               .order_by(Supplier.code))]


def stores(db: Database) -> list[tuple[int, str]]:
    with db.read() as session:
        return [(i, n) for i, n in session.execute(select(Store.id, Store.name).order_by(Store.id))]


@dataclass(frozen=True)
class PriceRow:
    """A price move over the tolerance: waiting, or decided (approved → pushed, or rejected)."""

    item_id: int
    store_id: int | None
    listing_id: int
    sku: str | None
    title: str | None
    current: str | None
    price: str
    currency: str
    reason: str
    state: str  # waiting | approved | pushed | rejected | closed


def _state(item: AttentionItem, pushed: Decimal | None) -> str:
    details = item.details or {}
    if item.resolved_at is None:
        return "waiting"
    if details.get("rejected"):
        return "rejected"
    if details.get("approved"):
        return "pushed" if pushed is not None and pushed == Decimal(str(details.get("price"))) else "approved"
    return "closed"


def waiting_count(db: Database) -> int:
    with db.read() as session:
        return int(session.execute(select(func.count()).select_from(AttentionItem).where(
            AttentionItem.kind == PRICE_APPROVAL, AttentionItem.resolved_at.is_(None))).scalar_one())


def prices(db: Database, *, waiting: bool, store_id: int | None = None, limit: int = 200) -> list[PriceRow]:
    """Prices waiting for a decision (oldest first), or the latest decided ones (newest first)."""
    query = select(AttentionItem).where(AttentionItem.kind == PRICE_APPROVAL)
    if waiting:
        query = query.where(AttentionItem.resolved_at.is_(None)).order_by(AttentionItem.id)
    else:
        query = query.where(AttentionItem.resolved_at.is_not(None)).order_by(AttentionItem.resolved_at.desc(),
                                                                             AttentionItem.id.desc())
    if store_id is not None:
        query = query.where(AttentionItem.store_id == store_id)
    with db.read() as session:
        items = list(session.execute(query.limit(limit)).scalars())
        ids = {int(item.details["listing_id"]) for item in items if item.details.get("listing_id") is not None}
        listings = {row.id: row for row in session.execute(
            select(Listing.id, Listing.sku, Listing.title, Listing.currency, Listing.last_pushed_price)
            .where(Listing.id.in_(ids))).all()} if ids else {}
    result = []
    for item in items:
        listing_id = int(item.details.get("listing_id") or 0)
        found = listings.get(listing_id)
        result.append(PriceRow(item.id, item.store_id, listing_id, found.sku if found else None,
                               found.title if found else None, money(item.details.get("current")),
                               money(item.details.get("price")) or "", found.currency if found else "",
                               item.reason, _state(item, found.last_pushed_price if found else None)))
    return result
