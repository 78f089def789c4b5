"""Loading what routing decides on: an order's lines as demands, with their options from the catalogue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import FxRate, Listing, Mapping, Offer, Order, OrderLine, Supplier, SupplierOrder, SupplierOrderLine
from hub.domain.routing import Convert, LineDemand, Option, Part, Policy, Strategy
from hub.services.scorecards import scorecards

SCORE_WINDOW = timedelta(days=30)  # the scorecard period routing's tie-break reads


@dataclass(frozen=True)
class Directive:
    """A person's instruction for one line, for one routing (an attention item's action): only
    these offers (empty: the line's own options), suppliers that refused it may be tried again,
    the store's cost rules waived this once."""

    offer_ids: tuple[int, ...] = ()
    retry_supplier_ids: frozenset[int] = frozenset()
    waive_limits: bool = False


def policy_of(settings: dict[str, Any]) -> Policy:
    """The store's routing settings (stores.settings["routing"]) as a Policy."""
    routing = settings.get("routing", {}) if isinstance(settings, dict) else {}
    def amount(key: str) -> Decimal | None:
        value = routing.get(key)
        return None if value in (None, "") else Decimal(str(value))
    return Policy(strategy=Strategy(routing.get("strategy", Strategy.PRIORITY.value)),
                  max_unit_cost=amount("max_unit_cost"), margin_guard=bool(routing.get("margin_guard", True)),
                  consolidate_max_extra=amount("consolidate_max_extra"),
                  prefer_scorecard=bool(routing.get("prefer_scorecard", False)))


def with_scores(session: Session, policy: Policy, lines: list[LineDemand], now: datetime | None = None) -> Policy:
    """The policy with its suppliers' scorecard figures (`Scorecard.figure` over the last
    `SCORE_WINDOW` days) when the store prefers the better scorecard on a tie and more than one
    supplier is in play; read only then, for those suppliers only, so routing stays one cheap read."""
    suppliers = {part.supplier_id for line in lines for option in line.options for part in option.parts}
    if not policy.prefer_scorecard or len(suppliers) < 2:
        return policy
    now = now or utcnow()
    cards = scorecards(session, now - SCORE_WINDOW, now, now=now, among=suppliers)
    return replace(policy, scores={card.supplier_id: card.figure for card in cards if card.figure is not None})


def demands(session: Session, order: Order, lines: list[OrderLine],
            skus: dict[int, str] | None = None,
            directives: MappingOf[int, Directive] | None = None) -> list[LineDemand]:
    """Each line with the options its listing maps to (or, without a listing, offers with its SKU);
    `skus`, when given, receives the supplier SKU of every offer read (what placement sends);
    `directives` (by line id) narrow a line to the offers a person chose."""
    skus = {} if skus is None else skus
    directives = directives or {}
    listings = _listings(session, order.store_id, lines)
    mapped = _mappings(session, [listing_id for listing_id in listings.values() if listing_id is not None], skus)
    excluded = _failed_suppliers(session, [line.id for line in lines])
    pinned = _offers_by_id(session, {i for d in directives.values() for i in d.offer_ids}, skus)
    by_sku = _offers_by_sku(session, [line.sku for line in lines if listings.get(line.id) is None and line.sku],
                            skus)
    result = []
    for line in lines:
        listing_id = listings.get(line.id)
        if listing_id is not None:
            groups: dict[int, list[Part]] = defaultdict(list)
            for priority, part in mapped.get(listing_id, []):
                groups[priority].append(part)
            options = [Option(priority, tuple(parts)) for priority, parts in sorted(groups.items())]
        else:
            options = [Option(0, (part,)) for part in by_sku.get(line.sku or "", [])]
        directive = directives.get(line.id, Directive())
        if directive.offer_ids:
            options = _chosen(options, directive.offer_ids, pinned)
        barred = excluded.get(line.id, set()) - directive.retry_supplier_ids
        options = [o for o in options if not any(p.supplier_id in barred for p in o.parts)]
        unit_price = line.unit_price - (line.total_discount / line.quantity if line.quantity else Decimal(0))
        result.append(LineDemand(line.id, line.quantity, unit_price, order.currency, tuple(options),
                                 directive.waive_limits))
    return result


def _chosen(options: list[Option], offer_ids: tuple[int, ...], pinned: dict[int, Part]) -> list[Option]:
    """The options made of the chosen offers: a mapped option (a bundle stays whole) or the offer alone."""
    kept = [o for o in options if {p.offer_id for p in o.parts} <= set(offer_ids)]
    mapped = {p.offer_id for o in kept for p in o.parts}
    return kept + [Option(0, (pinned[i],)) for i in offer_ids if i not in mapped and i in pinned]


def _offers_by_id(session: Session, offer_ids: set[int], skus: dict[int, str]) -> dict[int, Part]:
    if not offer_ids:
        return {}
    rows = session.execute(select(*_PART_COLUMNS).join(Supplier, Offer.supplier_id == Supplier.id).where(
        Offer.id.in_(offer_ids), Offer.active.is_(True), Supplier.active.is_(True))).all()
    for row in rows:
        skus[row.id] = row.supplier_sku
    return {row.id: _part(row, 1) for row in rows}


def _listings(session: Session, store_id: int, lines: list[OrderLine]) -> dict[int, int | None]:
    variants = {line.variant_id for line in lines if line.variant_id}
    skus = {line.sku for line in lines if line.sku}
    rows = session.execute(select(Listing.id, Listing.variant_id, Listing.sku).where(
        Listing.store_id == store_id, Listing.active.is_(True),
        (Listing.variant_id.in_(variants)) | (Listing.sku.in_(skus)))).all()
    by_variant = {variant: listing_id for listing_id, variant, _ in rows}
    by_sku = {sku: listing_id for listing_id, _, sku in rows if sku}
    return {line.id: by_variant.get(line.variant_id or "") or by_sku.get(line.sku or "") for line in lines}


# The columns an option is made of, read as plain rows (no ORM objects: routing reads these for every order).
_PART_COLUMNS = (Offer.id, Offer.supplier_sku, Offer.supplier_id, Offer.cost, Offer.shipping_cost, Offer.currency,
                 Offer.stock, Offer.reserved, Offer.countries, Offer.lead_time_days,
                 Supplier.lead_time_days.label("supplier_lead_time_days"), Supplier.priority)


def _part(row: Any, per_unit: int) -> Part:
    return Part(row.id, row.supplier_id, per_unit, row.cost, row.shipping_cost or Decimal(0), row.currency,
                max(0, row.stock - row.reserved), frozenset(row.countries or ()),
                row.lead_time_days or row.supplier_lead_time_days, row.priority)


def _mappings(session: Session, listing_ids: list[int], skus: dict[int, str]) -> dict[int, list[tuple[int, Part]]]:
    if not listing_ids:
        return {}
    rows = session.execute(
        select(Mapping.listing_id, Mapping.priority.label("mapping_priority"), Mapping.quantity, *_PART_COLUMNS)
        .join(Offer, Mapping.offer_id == Offer.id)
        .join(Supplier, Offer.supplier_id == Supplier.id)
        .where(Mapping.listing_id.in_(listing_ids), Offer.active.is_(True), Supplier.active.is_(True))
        .order_by(Mapping.listing_id, Mapping.priority, Offer.id)).all()
    found: dict[int, list[tuple[int, Part]]] = defaultdict(list)
    for row in rows:
        skus[row.id] = row.supplier_sku
        found[row.listing_id].append((row.mapping_priority, _part(row, row.quantity)))
    return found


def _offers_by_sku(session: Session, wanted: list[str], skus: dict[int, str]) -> dict[str, list[Part]]:
    if not wanted:
        return {}
    rows = session.execute(select(*_PART_COLUMNS).join(Supplier, Offer.supplier_id == Supplier.id).where(
        Offer.supplier_sku.in_(wanted), Offer.active.is_(True), Supplier.active.is_(True)).order_by(Offer.id)).all()
    found: dict[str, list[Part]] = defaultdict(list)
    for row in rows:
        skus[row.id] = row.supplier_sku
        found[row.supplier_sku].append(_part(row, 1))
    return found


def _failed_suppliers(session: Session, line_ids: list[int]) -> dict[int, set[int]]:
    """Suppliers that already refused or cancelled a line: rerouting must not send it back to them."""
    rows = session.execute(
        select(SupplierOrderLine.order_line_id, SupplierOrder.supplier_id)
        .join(SupplierOrder, and_(SupplierOrder.id == SupplierOrderLine.supplier_order_id,
                                  SupplierOrder.state.in_(("failed", "cancelled"))))
        .where(SupplierOrderLine.order_line_id.in_(line_ids))).all()
    found: dict[int, set[int]] = defaultdict(set)
    for line_id, supplier_id in rows:
        found[line_id].add(supplier_id)
    return found


def fx_converter(session: Session, day: date) -> Convert:
    """Conversion at the latest rate on or before `day`; None (never a guess) when there is none."""
    cache: dict[tuple[str, str], Decimal | None] = {}

    def rate(base: str, quote: str) -> Decimal | None:
        if (base, quote) not in cache:
            direct = session.execute(select(FxRate.rate).where(FxRate.base == base, FxRate.quote == quote,
                                                               FxRate.day <= day)
                                     .order_by(FxRate.day.desc()).limit(1)).scalar_one_or_none()
            if direct is None:
                inverse = session.execute(select(FxRate.rate).where(FxRate.base == quote, FxRate.quote == base,
                                                                    FxRate.day <= day)
                                          .order_by(FxRate.day.desc()).limit(1)).scalar_one_or_none()
                direct = (Decimal(1) / inverse) if inverse else None
            cache[(base, quote)] = direct
        return cache[(base, quote)]

    def convert(amount: Decimal, source: str, target: str) -> Decimal | None:
        if source == target:
            return amount
        found = rate(source, target)
        return None if found is None else amount * found

    return convert
