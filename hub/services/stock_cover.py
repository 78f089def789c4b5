"""Stock running out: how many days the suppliers' stock lasts at the rate a listing sells.

The rule, computed in SQL on both backends with whole numbers only (no float, no rounding):

- **Units sold** per listing: the quantities of order lines placed in the last 7 and the last 30
  days before `now` (cancelled orders left out). A line belongs to the listing of its store with
  its variant id, else (no listing has that variant) to the listing with its SKU: the match
  routing makes (hub.services.routing_load).
- **Available**: what routing can still take, summed over the listing's options (each priority
  is one option, tried in turn): an option offers as many units as its scarcest part allows,
  ``(stock - reserved) // units per sale`` per offer, 0 for an inactive offer or supplier.
- **Days of cover** = available / daily rate, where the daily rate is the larger of the 7-day
  rate (sold in 7 days / 7) and the 30-day rate (sold in 30 days / 30): a product that just
  took off is judged by its last week, one whose last week was quiet by its month. Equivalently
  the smaller of ``available * 7 / sold7`` and ``available * 30 / sold30``.
- **Running out** when the days of cover are fewer than the store's
  ``settings["stock_cover_days"]`` (whole days, default 7): ``available * 7 < days * sold7`` or
  ``available * 30 < days * sold30``. A listing that sold nothing has no rate and never runs out.

`flag_running_out` (the periodic job ``stock.cover``) keeps one open attention item
``stock_running_out`` per such listing and closes it by itself once the cover recovers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from hub.db.base import utcnow
from hub.db.models import AttentionItem, Listing, Mapping, Offer, Order, OrderLine, Store, Supplier
from hub.services import attention

if TYPE_CHECKING:
    from hub.bootstrap import Hub

RUNNING_OUT = "stock_running_out"
KEY_PREFIX = "stock:"  # + listing id: the attention item's dedupe key, one open item per listing
DEFAULT_DAYS = 7
SHORT, LONG = 7, 30  # the two windows, in days


@dataclass(frozen=True)
class Cover:
    """One listing's cover: units sold in each window, units available, and the days they last."""

    listing_id: int
    sku: str | None
    title: str | None
    available: int
    sold_7: int
    sold_30: int
    running_out: bool

    @property
    def daily_rate(self) -> Decimal:
        """Units a day: the larger of the 7-day and the 30-day rate."""
        return max(Decimal(self.sold_7) / SHORT, Decimal(self.sold_30) / LONG)

    @property
    def days(self) -> Decimal | None:
        """Days of cover, rounded down to a tenth (never shown as more than it is); None without sales."""
        candidates = [Decimal(self.available * window) / sold for window, sold in
                      ((SHORT, self.sold_7), (LONG, self.sold_30)) if sold]
        return min(candidates).quantize(Decimal("0.1"), rounding=ROUND_FLOOR) if candidates else None

    def view(self) -> dict[str, Any]:
        days = self.days
        return {"listing_id": self.listing_id, "sku": self.sku, "available": self.available, "sold_7": self.sold_7,
                "sold_30": self.sold_30, "daily_rate": str(self.daily_rate.quantize(Decimal("0.01"), ROUND_HALF_UP)),
                "days": None if days is None else str(days), "running_out": self.running_out}


def threshold_days(settings: dict[str, Any] | None) -> int:
    """The store's setting, whole days ≥ 1; anything else is the default."""
    value = (settings or {}).get("stock_cover_days", DEFAULT_DAYS)
    try:
        days = int(str(value))
    except ValueError:
        return DEFAULT_DAYS
    return days if days >= 1 else DEFAULT_DAYS


def _sales(store_id: int, now: datetime, lines_of: tuple[list[str], list[str]] | None) -> Any:
    """Units sold per listing of the store: (listing_id, sold_7, sold_30); only the lines naming the
    variants or SKUs of `lines_of` when given (one page of the catalogue: the filter is on the lines,
    read by the orders' date index, so no planner starts from the listings and rescans the lines)."""
    since_long, since_short = now - timedelta(days=LONG), now - timedelta(days=SHORT)
    placed: tuple[Any, ...] = (Order.store_id == store_id, Order.placed_at >= since_long, Order.placed_at <= now,
                               Order.cancelled_at.is_(None))
    variants, skus = lines_of or ([], [])
    by_variant = (select(Listing.id.label("listing_id"), OrderLine.quantity.label("quantity"),
                         Order.placed_at.label("placed_at"))
                  .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
                  .join(Listing, and_(Listing.store_id == Order.store_id, Listing.active.is_(True),
                                      Listing.variant_id == OrderLine.variant_id))
                  .where(*placed, *([OrderLine.variant_id.in_(variants)] if lines_of else [])))
    other = aliased(Listing)
    by_sku = (select(Listing.id, OrderLine.quantity, Order.placed_at)
              .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
              .join(Listing, and_(Listing.store_id == Order.store_id, Listing.active.is_(True),
                                  Listing.sku == OrderLine.sku))
              .where(*placed, *([OrderLine.sku.in_(skus)] if lines_of else []),
                     ~exists().where(other.store_id == Order.store_id, other.active.is_(True),
                                     other.variant_id == OrderLine.variant_id)))
    lines = union_all(by_variant, by_sku).subquery()
    return (select(lines.c.listing_id,
                   func.sum(case((lines.c.placed_at >= since_short, lines.c.quantity), else_=0)).label("sold_7"),
                   func.sum(lines.c.quantity).label("sold_30"))
            .group_by(lines.c.listing_id).subquery())


def _available(store_id: int, only: list[int] | None) -> Any:
    """Units routing can take per mapped listing of the store (of `only`): (listing_id, available)."""
    usable = and_(Offer.active.is_(True), Supplier.active.is_(True), Offer.stock > Offer.reserved)
    units = case((usable, (Offer.stock - Offer.reserved) // Mapping.quantity), else_=0)
    options = (select(Mapping.listing_id.label("listing_id"), func.min(units).label("units"))
               .join(Listing, Listing.id == Mapping.listing_id).join(Offer, Offer.id == Mapping.offer_id)
               .join(Supplier, Supplier.id == Offer.supplier_id)
               .where(Listing.store_id == store_id, Listing.active.is_(True),
                      *([Listing.id.in_(only)] if only is not None else []))
               .group_by(Mapping.listing_id, Mapping.priority).subquery())
    return (select(options.c.listing_id, func.sum(options.c.units).label("available"))
            .group_by(options.c.listing_id).subquery())


def cover(session: Session, store_id: int, now: datetime, *, days: int | None = None,
          listing_ids: Sequence[int] | None = None, only_running_out: bool = False) -> list[Cover]:
    """The cover of the store's mapped listings (those of `listing_ids` when given), in listing order.

    `days` is the threshold (the store's setting when None); `only_running_out` keeps the flagged."""
    if days is None:
        store = session.get(Store, store_id)
        days = threshold_days(store.settings if store else None)
    only = None if listing_ids is None else list(listing_ids)
    lines_of = None
    if only is not None:
        named = session.execute(select(Listing.variant_id, Listing.sku).where(Listing.id.in_(only))).all()
        lines_of = ([variant for variant, _ in named], [sku for _, sku in named if sku])
    sales, available = _sales(store_id, now, lines_of), _available(store_id, only)
    sold_7, sold_30 = func.coalesce(sales.c.sold_7, 0), func.coalesce(sales.c.sold_30, 0)
    stock = available.c.available
    running_out = or_(stock * SHORT < days * sold_7, stock * LONG < days * sold_30)
    query = (select(Listing.id, Listing.sku, Listing.title, stock, sold_7, sold_30, case((running_out, 1), else_=0))
             .join(available, available.c.listing_id == Listing.id)
             .outerjoin(sales, sales.c.listing_id == Listing.id)
             .order_by(Listing.id))
    if only is not None:
        query = query.where(Listing.id.in_(only))
    if only_running_out:
        query = query.where(running_out)
    return [Cover(row[0], row[1], row[2], int(row[3]), int(row[4]), int(row[5]), bool(row[6]))
            for row in session.execute(query).all()]


def cover_of(hub: Hub, listings: Sequence[tuple[int, int]], now: datetime | None = None) -> dict[int, Cover]:
    """Cover of some listings given as (listing id, store id), e.g. one page of the catalogue."""
    now = now or utcnow()
    by_store: dict[int, list[int]] = {}
    for listing_id, store_id in listings:
        by_store.setdefault(store_id, []).append(listing_id)
    found: dict[int, Cover] = {}
    with hub.db.read() as session:
        for store_id, ids in by_store.items():
            found.update((c.listing_id, c) for c in cover(session, store_id, now, listing_ids=ids))
    return found


def _words(item: Cover) -> str:
    name = item.sku or item.title or f"listing {item.listing_id}"
    rate = item.daily_rate.quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{name}: stock for {item.days} days at {rate} sold a day ({item.available} available)"


def flag_running_out(hub: Hub, store_id: int, now: datetime | None = None) -> dict[str, int]:
    """Put each listing running out on the attention list (one open item per listing) and close
    the items of listings whose cover recovered: the periodic job `stock.cover`."""
    now = now or utcnow()
    with hub.db.transaction() as session:
        short = cover(session, store_id, now, only_running_out=True)
        causes = [attention.Cause(f"{KEY_PREFIX}{item.listing_id}", RUNNING_OUT, _words(item), store_id=store_id,
                                  details={"listing_id": item.listing_id, **item.view()}) for item in short]
        added = attention.record(session, causes, now)
        closed = attention.resolve_open(session, [AttentionItem.kind == RUNNING_OUT,
                                                  AttentionItem.store_id == store_id,
                                                  AttentionItem.dedupe_key.not_in([c.key for c in causes])],
                                        "the stock covers the sales again", now)
    return {"running_out": len(short), "flagged": added, "recovered": len(closed)}
