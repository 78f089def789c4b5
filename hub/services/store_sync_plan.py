"""What the store should show: quantity and price per listing, computed in one pass per store.

One query brings every active listing with its mappings, offers and suppliers; the pure rules
(hub.domain.availability / pricing) decide. The plan holds only what differs from what the hub
last pushed, so an unchanged catalogue costs no call at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Listing, Mapping, Offer, Store, Supplier
from hub.domain.availability import StockMode, StockOption, StockPart, StockRule, available_quantity
from hub.domain.pricing import PriceRule, Rounding, decide_price
from hub.services.routing_load import fx_converter


@dataclass(frozen=True)
class QuantityChange:
    listing_id: int
    inventory_item_id: str
    quantity: int
    previous: int | None


@dataclass(frozen=True)
class PriceChange:
    listing_id: int
    variant_id: str
    product_id: str
    price: Decimal
    compare_at: Decimal | None
    current: Decimal | None
    needs_approval: bool
    reason: str | None = None


@dataclass
class SyncPlan:
    store_id: int
    listings: int = 0
    quantities: list[QuantityChange] = field(default_factory=list)
    prices: list[PriceChange] = field(default_factory=list)
    no_rate: list[int] = field(default_factory=list)  # listings whose cost currency has no FX rate

    def summary(self, batch: int = 250) -> dict[str, Any]:
        live = [p for p in self.prices if not p.needs_approval]
        products = {p.product_id for p in live}
        return {"store_id": self.store_id, "listings": self.listings, "quantity_changes": len(self.quantities),
                "inventory_calls": -(-len(self.quantities) // batch), "price_changes": len(live),
                "price_calls": len(products), "prices_awaiting_approval": len(self.prices) - len(live),
                "prices_without_fx_rate": len(self.no_rate)}


def stock_rule(settings: dict[str, Any], listing_buffer: int | None) -> StockRule:
    sync = settings.get("sync", {}) if isinstance(settings, dict) else {}
    return StockRule(mode=StockMode(sync.get("stock_mode", StockMode.FIRST.value)),
                     safety_buffer=listing_buffer if listing_buffer is not None else int(sync.get("safety_buffer", 0)),
                     minimum=int(sync.get("minimum_quantity", 0)))


def price_rule(settings: dict[str, Any], supplier_code: str | None, listing_id: int) -> PriceRule | None:
    """Store rule, overridden per supplier then per listing; None when the store does not price."""
    pricing = settings.get("pricing") if isinstance(settings, dict) else None
    if not pricing:
        return None
    merged = {k: v for k, v in pricing.items() if k not in ("suppliers", "listings")}
    merged.update((pricing.get("suppliers") or {}).get(supplier_code or "", {}))
    merged.update((pricing.get("listings") or {}).get(str(listing_id), {}))
    def dec(key: str, default: str | None) -> Decimal | None:
        value = merged.get(key, default)
        return None if value is None else Decimal(str(value))
    return PriceRule(markup_percent=dec("markup_percent", "100") or Decimal(100), fixed=dec("fixed", "0") or Decimal(0),
                     rounding=Rounding(merged.get("rounding", Rounding.NINETY_NINE.value)),
                     compare_at_factor=dec("compare_at_factor", None),
                     min_margin_percent=dec("min_margin_percent", "0") or Decimal(0),
                     tolerance_percent=dec("tolerance_percent", "20") or Decimal(20))


def build_plan(session: Session, store_id: int, today: date, approved: dict[int, Decimal],
               settings: dict[str, Any] | None = None) -> SyncPlan:
    """`settings`, when given, stands in for the store's own (a preview of rules not yet saved)."""
    store = session.get(Store, store_id)
    assert store is not None
    settings = dict(store.settings or {}) if settings is None else dict(settings)
    rows = session.execute(
        select(Listing.id, Listing.variant_id, Listing.product_id, Listing.inventory_item_id, Listing.price,
               Listing.safety_buffer, Listing.last_pushed_quantity, Listing.last_pushed_price, Mapping.priority,
               Mapping.quantity, Offer.stock, Offer.reserved, Offer.active, Offer.cost, Offer.shipping_cost,
               Offer.currency, Supplier.active, Supplier.code)
        .join(Mapping, Mapping.listing_id == Listing.id).join(Offer, Offer.id == Mapping.offer_id)
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .where(Listing.store_id == store_id, Listing.active.is_(True))
        .order_by(Listing.id, Mapping.priority, Offer.id)).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    convert = fx_converter(session, today)
    plan = SyncPlan(store_id, listings=len(grouped))
    for listing_id, parts in grouped.items():
        first = parts[0]
        options: dict[int, list[StockPart]] = defaultdict(list)
        for row in parts:
            usable = row[12] and row[16]
            options[row[8]].append(StockPart(max(0, row[10] - row[11]) if usable else 0, row[9]))
        quantity = available_quantity([StockOption(p, tuple(v)) for p, v in options.items()],
                                      stock_rule(settings, first[5]))
        if first[3] and quantity != first[6]:
            plan.quantities.append(QuantityChange(listing_id, first[3], quantity, first[6]))
        _plan_price(plan, settings, parts, convert, store.currency, approved)
    return plan


def _plan_price(plan: SyncPlan, settings: dict[str, Any], parts: list[Any], convert: Any, currency: str,
                approved: dict[int, Decimal]) -> None:
    first = parts[0]
    listing_id = first[0]
    lowest = min(row[8] for row in parts)
    option = [row for row in parts if row[8] == lowest]
    rule = price_rule(settings, option[0][17], listing_id)
    if rule is None or not first[1] or not first[2]:
        return
    landed = Decimal(0)
    for row in option:
        converted = convert((row[13] + (row[14] or Decimal(0))) * row[9], row[15], currency)
        if converted is None:
            plan.no_rate.append(listing_id)
            return
        landed += converted
    if landed <= 0:
        return
    current = first[4]
    decision = decide_price(landed, current, rule)
    if decision.price == first[7] or (first[7] is None and decision.price == current):
        return
    needs_approval = decision.needs_approval and approved.get(listing_id) != decision.price
    plan.prices.append(PriceChange(listing_id, first[1], first[2], decision.price, decision.compare_at, current,
                                   needs_approval, decision.reason))
