"""A store's rules as people set them: routing, pricing and the days-of-cover warning.

They live in `stores.settings` (read by hub.services.routing_load, store_sync_plan and the stock
warnings); this module is the one place that validates them, for the API (PUT
/api/v1/stores/{id}/settings) and the store page alike, and the one that previews what a pricing
change would move, with the same plan the store sync pushes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from hub.db.models import Listing, Store
from hub.domain.pricing import CENT, Rounding
from hub.domain.routing import Strategy
from hub.errors import NotFound, UserError
from hub.services import store_sync
from hub.services.store_sync_plan import PriceChange

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.db.engine import Database

ROUTING_KEYS = ("strategy", "max_unit_cost", "margin_guard", "consolidate_max_extra", "prefer_scorecard")
PRICING_KEYS = ("markup_percent", "rounding", "min_margin_percent", "tolerance_percent")
DEFAULT_COVER_DAYS = 7
MAX_COVER_DAYS = 365
MAX_AMOUNT = Decimal("99999999999999.9999")
MAX_PERCENT = Decimal(100000)
PREVIEW_ROWS = 20
STRATEGY_WORDS = {Strategy.PRIORITY.value: "mapping priority first",
                  Strategy.LANDED_COST.value: "lowest landed cost first"}
ROUNDING_WORDS = {Rounding.NINETY_NINE.value: "up to .99", Rounding.NINETY_FIVE.value: "up to .95",
                  Rounding.WHOLE.value: "up to a whole amount", Rounding.NONE.value: "to the cent"}


class SettingsError(UserError):
    """One field's mistake: `field` names it (as the API's body and the page's form name it)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field, self.message = field_name, message


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _decimal(name: str, value: object, *, maximum: Decimal, below: bool = False) -> Decimal:
    text = _text(value)
    if isinstance(value, float):
        raise SettingsError(name, 'write it as a decimal string such as "12.50"')
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise SettingsError(name, f"not a number: {text[:40]!r}") from None
    if not amount.is_finite():
        raise SettingsError(name, "must be a finite number")
    if amount < 0:
        raise SettingsError(name, "must not be negative")
    if amount > maximum or (below and amount == maximum):
        raise SettingsError(name, f"must be {'under' if below else 'at most'} {maximum}")
    if amount != amount.quantize(Decimal("0.0001")):
        raise SettingsError(name, "has more than 4 decimals")
    return amount


def _plain(amount: Decimal) -> str:
    """As typed but plain: "1e2" and "0150" are stored "100" and "150", never in exponent form."""
    return format(amount, "f")


def _optional_amount(name: str, value: object) -> str | None:
    return None if _text(value) == "" else _plain(_decimal(name, value, maximum=MAX_AMOUNT))


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("true", "on", "1", "yes"):
        return True
    if text in ("false", "off", "0", "no", ""):
        return False
    raise SettingsError(name, "must be true or false")


def routing_rules(values: Mapping[str, object]) -> dict[str, Any]:
    """The routing keys given, checked; None or "" for an amount means no limit."""
    unknown = sorted(set(values) - set(ROUTING_KEYS))
    if unknown:
        raise SettingsError(unknown[0], "is not a routing rule")
    rules: dict[str, Any] = {}
    if "strategy" in values:
        strategy = _text(values["strategy"])
        if strategy not in STRATEGY_WORDS:
            raise SettingsError("strategy", f"choose one of {', '.join(STRATEGY_WORDS)}")
        rules["strategy"] = strategy
    for name in ("max_unit_cost", "consolidate_max_extra"):
        if name in values:
            rules[name] = _optional_amount(name, values[name])
    for name in ("margin_guard", "prefer_scorecard"):
        if name in values:
            rules[name] = _flag(name, values[name])
    return rules


def pricing_rules(values: Mapping[str, object]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(PRICING_KEYS))
    if unknown:
        raise SettingsError(unknown[0], "is not a pricing rule")
    rules: dict[str, Any] = {}
    if "markup_percent" in values:
        rules["markup_percent"] = _plain(_decimal("markup_percent", values["markup_percent"], maximum=MAX_PERCENT))
    if "rounding" in values:
        rounding = _text(values["rounding"])
        if rounding not in ROUNDING_WORDS:
            raise SettingsError("rounding", f"choose one of {', '.join(ROUNDING_WORDS)}")
        rules["rounding"] = rounding
    if "min_margin_percent" in values:
        rules["min_margin_percent"] = _plain(_decimal("min_margin_percent", values["min_margin_percent"],
                                                      maximum=Decimal(100), below=True))
    if "tolerance_percent" in values:
        rules["tolerance_percent"] = _plain(_decimal("tolerance_percent", values["tolerance_percent"],
                                                     maximum=MAX_PERCENT))
    return rules


def cover_days(value: object) -> int:
    text = _text(value)
    if isinstance(value, bool) or not text.isdigit():
        raise SettingsError("stock_cover_days", "must be a whole number of days")
    days = int(text)
    if not 1 <= days <= MAX_COVER_DAYS:
        raise SettingsError("stock_cover_days", f"must be 1 to {MAX_COVER_DAYS} days")
    return days


@dataclass(frozen=True)
class StoreRules:
    """What the forms show: every rule with its effective value (the default when unset)."""

    routing: dict[str, Any]
    pricing: dict[str, Any]
    pricing_on: bool
    stock_cover_days: int

    def as_dict(self) -> dict[str, Any]:
        return {"routing": self.routing, "pricing": self.pricing if self.pricing_on else None,
                "stock_cover_days": self.stock_cover_days}


def rules_of(settings: Mapping[str, Any]) -> StoreRules:
    routing = dict(settings.get("routing") or {})
    pricing = settings.get("pricing") or {}
    return StoreRules(
        routing={"strategy": routing.get("strategy", Strategy.PRIORITY.value),
                 "max_unit_cost": routing.get("max_unit_cost"),
                 "margin_guard": bool(routing.get("margin_guard", True)),
                 "consolidate_max_extra": routing.get("consolidate_max_extra"),
                 "prefer_scorecard": bool(routing.get("prefer_scorecard", False))},
        pricing={"markup_percent": str(pricing.get("markup_percent", "100")),
                 "rounding": str(pricing.get("rounding", Rounding.NINETY_NINE.value)),
                 "min_margin_percent": str(pricing.get("min_margin_percent", "0")),
                 "tolerance_percent": str(pricing.get("tolerance_percent", "20"))},
        pricing_on=bool(pricing), stock_cover_days=int(settings.get("stock_cover_days", DEFAULT_COVER_DAYS)))


def _settings(db: Database, store_id: int) -> dict[str, Any]:
    with db.read() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        return dict(store.settings or {})


def current(db: Database, store_id: int) -> StoreRules:
    return rules_of(_settings(db, store_id))


def merged(settings: Mapping[str, Any], *, routing: Mapping[str, object] | None = None,
           pricing: Mapping[str, object] | None = None, pricing_off: bool = False,
           stock_cover_days: object = None) -> dict[str, Any]:
    """The store's settings with the given rules checked and laid over them (other keys kept:
    per-supplier and per-listing price overrides, the sync location, …)."""
    result = dict(settings)
    if routing is not None:
        laid = {**(result.get("routing") or {}), **routing_rules(routing)}
        result["routing"] = {k: v for k, v in laid.items() if v is not None}
    if pricing_off:
        result.pop("pricing", None)
    elif pricing is not None:
        result["pricing"] = {**(result.get("pricing") or {}), **pricing_rules(pricing)}
    if stock_cover_days is not None:
        result["stock_cover_days"] = cover_days(stock_cover_days)
    return result


def save(db: Database, store_id: int, **changes: Any) -> StoreRules:
    """Check and store; a refused rule changes nothing (SettingsError names the field)."""
    with db.transaction() as session:
        store = session.get(Store, store_id)
        if store is None:
            raise NotFound(f"store {store_id} not found")
        store.settings = merged(store.settings or {}, **changes)
        return rules_of(store.settings)


@dataclass(frozen=True)
class PriceMove:
    listing_id: int
    title: str
    sku: str | None
    old: Decimal | None  # what the store shows
    new: Decimal
    needs_approval: bool
    by_this_change: bool  # False: the current rules would push this price too

    @property
    def old_words(self) -> str:
        return "—" if self.old is None else str(self.old.quantize(CENT))

    @property
    def new_words(self) -> str:
        return str(self.new.quantize(CENT))


@dataclass
class PricingPreview:
    listings: int  # active listings with a mapped offer (what prices are computed for)
    moves: int  # listings whose price would change in the store
    by_this_change: int  # of those, the ones the current rules would not move
    awaiting_approval: int
    without_fx_rate: int
    rows: list[PriceMove] = field(default_factory=list)
    pricing_on: bool = True


def preview_pricing(hub: Hub, store_id: int, pricing: Mapping[str, object] | None) -> PricingPreview:
    """What saving `pricing` (None: stop pricing) would move, from the same plan the sync pushes.
    Nothing is written."""
    settings = _settings(hub.db, store_id)
    proposed = merged(settings, pricing=pricing, pricing_off=pricing is None)
    new = store_sync.plan(hub, store_id, settings=proposed)
    if pricing is None:
        return PricingPreview(new.listings, 0, 0, 0, 0, pricing_on=False)
    before = {p.listing_id: p.price for p in store_sync.plan(hub, store_id, settings=settings).prices}
    with hub.db.read() as session:
        shown = {row.id: row for row in session.execute(
            select(Listing.id, Listing.title, Listing.sku, Listing.variant_id)
            .where(Listing.id.in_([p.listing_id for p in new.prices[:500]])))}
    def move(p: PriceChange) -> PriceMove:
        row = shown.get(p.listing_id)
        title = (row.title or row.variant_id) if row is not None else f"listing {p.listing_id}"
        return PriceMove(p.listing_id, title, row.sku if row is not None else None, p.current, p.price,
                         p.needs_approval, before.get(p.listing_id) != p.price)

    moves = [move(p) for p in new.prices]
    moves.sort(key=lambda m: (not m.by_this_change, m.listing_id))
    return PricingPreview(new.listings, len(moves), sum(m.by_this_change for m in moves),
                          sum(m.needs_approval for m in moves), len(new.no_rate), moves[:PREVIEW_ROWS])


def active_listings(db: Database, store_id: int) -> int:
    with db.read() as session:
        return int(session.execute(select(func.count()).select_from(Listing).where(
            Listing.store_id == store_id, Listing.active.is_(True))).scalar_one())


__all__ = ["SettingsError", "StoreRules", "current", "preview_pricing", "save"]
