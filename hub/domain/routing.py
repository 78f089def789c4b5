"""Routing rules: which supplier offer(s) ship each order line. Pure: data in, decision out.

A line's *options* come from its listing's mappings: mappings of one priority form one option
(a single offer, or a bundle of several offers each with a quantity per unit). An option is a
candidate when it ships to the destination, has stock for every part, stays under the maximum
unit cost and, with the margin guard on, costs less than the line sells for. Among candidates the
store's strategy picks; the reasons of the filters that emptied the list say why a line needs a
person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Strategy(StrEnum):
    PRIORITY = "priority"  # mapping priority, then supplier priority, then landed cost, then lead time
    LANDED_COST = "landed_cost"  # cost + shipping in one currency, then lead time, then priority


class Attention(StrEnum):
    NO_MAPPING = "no_mapping"
    OUT_OF_STOCK = "out_of_stock"
    COUNTRY_NOT_SERVED = "country_not_served"
    OVER_MAX_COST = "over_max_cost"
    NEGATIVE_MARGIN = "negative_margin"
    NO_FX_RATE = "no_fx_rate"


ATTENTION_TEXT = {
    Attention.NO_MAPPING: "no supplier offer is mapped to this product",
    Attention.OUT_OF_STOCK: "out of stock at every mapped supplier",
    Attention.COUNTRY_NOT_SERVED: "no mapped supplier ships to the destination country",
    Attention.OVER_MAX_COST: "every mapped offer costs more than the maximum unit cost",
    Attention.NEGATIVE_MARGIN: "the landed cost exceeds the sale price",
    Attention.NO_FX_RATE: "no exchange rate to compare the supplier's currency",
}


@dataclass(frozen=True, slots=True)
class Part:
    """One offer inside an option; `per_unit` offers ship for each unit sold (bundles: several parts)."""

    offer_id: int
    supplier_id: int
    per_unit: int
    unit_cost: Decimal
    shipping_cost: Decimal  # per unit shipped, in the offer's currency
    currency: str
    available: int  # stock minus what others hold
    countries: frozenset[str]  # empty: ships anywhere
    lead_time_days: int
    supplier_priority: int


@dataclass(frozen=True, slots=True)
class Option:
    priority: int
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class LineDemand:
    line_id: int
    quantity: int
    unit_price: Decimal  # what the customer pays per unit, after the line's discount
    currency: str
    options: tuple[Option, ...]
    waive_limits: bool = False  # a person chose to place this line once over the cost rules


@dataclass(frozen=True, slots=True)
class Policy:
    """A store's routing rules. With `prefer_scorecard`, two candidates of the same landed cost are
    told apart by their suppliers' scorecard figure (`scores`: supplier id → figure, higher is
    better, passed in as data so routing stays pure): an option's figure is its worst supplier's,
    and an option whose supplier has no figure ranks after those that have one."""

    strategy: Strategy = Strategy.PRIORITY
    max_unit_cost: Decimal | None = None  # in the order's currency, per sold unit (landed)
    margin_guard: bool = True
    consolidate_max_extra: Decimal | None = None  # keep one supplier when it costs at most this more
    prefer_scorecard: bool = False
    scores: Mapping[int, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Allocation:
    offer_id: int
    supplier_id: int
    quantity: int
    unit_cost: Decimal
    shipping_cost: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Routed:
    line_id: int
    allocations: tuple[Allocation, ...]
    landed_cost: Decimal  # whole line, in the order's currency

    @property
    def suppliers(self) -> frozenset[int]:
        return frozenset(a.supplier_id for a in self.allocations)


@dataclass(frozen=True, slots=True)
class Unroutable:
    line_id: int
    reason: Attention

    @property
    def text(self) -> str:
        return ATTENTION_TEXT[self.reason]


# Converts an amount from one currency to another, or returns None when no rate is known.
Convert = Callable[[Decimal, str, str], Decimal | None]


def same_currency_only(amount: Decimal, source: str, target: str) -> Decimal | None:
    return amount if source == target else None


@dataclass
class _Stock:
    """Stock left per offer while one order is routed (two lines may want the same offer)."""

    left: dict[int, int] = field(default_factory=dict)

    def has(self, option: Option, quantity: int) -> bool:
        return all(self.left.get(p.offer_id, p.available) >= p.per_unit * quantity for p in option.parts)

    def take(self, option: Option, quantity: int) -> None:
        for part in option.parts:
            self.left[part.offer_id] = self.left.get(part.offer_id, part.available) - part.per_unit * quantity


def _landed_unit(option: Option, currency: str, convert: Convert) -> Decimal | None:
    total = Decimal(0)
    for part in option.parts:
        converted = convert((part.unit_cost + part.shipping_cost) * part.per_unit, part.currency, currency)
        if converted is None:
            return None
        total += converted
    return total


def _score_key(option: Option, policy: Policy) -> tuple[int, Decimal]:
    """Sorts first the better scorecard: (0, −figure) with a figure, (1, 0) without one."""
    if not policy.prefer_scorecard:
        return (0, Decimal(0))
    figures = [policy.scores.get(p.supplier_id) for p in option.parts]
    known = [figure for figure in figures if figure is not None]
    if len(known) < len(figures):
        return (1, Decimal(0))
    return (0, -min(known))


def _sort_key(option: Option, landed: Decimal, policy: Policy) -> tuple[object, ...]:
    lead = max(p.lead_time_days for p in option.parts)
    supplier_priority = min(p.supplier_priority for p in option.parts)
    score = _score_key(option, policy)
    if policy.strategy is Strategy.LANDED_COST:
        return (landed, score, lead, option.priority, supplier_priority)
    return (option.priority, supplier_priority, landed, score, lead)


def _ships_to(option: Option, country: str | None) -> bool:
    return all(not p.countries or (country is not None and country in p.countries) for p in option.parts)


def route_line(line: LineDemand, country: str | None, policy: Policy, convert: Convert,
               stock: _Stock | None = None) -> Routed | Unroutable:
    """The best candidate for one line, or the reason there is none."""
    stock = stock or _Stock()
    if not line.options:
        return Unroutable(line.line_id, Attention.NO_MAPPING)
    candidates = [o for o in line.options if _ships_to(o, country)]
    if not candidates:
        return Unroutable(line.line_id, Attention.COUNTRY_NOT_SERVED)
    candidates = [o for o in candidates if stock.has(o, line.quantity)]
    if not candidates:
        return Unroutable(line.line_id, Attention.OUT_OF_STOCK)
    priced = [(o, _landed_unit(o, line.currency, convert)) for o in candidates]
    known = [(o, landed) for o, landed in priced if landed is not None]
    if not known:
        return Unroutable(line.line_id, Attention.NO_FX_RATE)
    if policy.max_unit_cost is not None and not line.waive_limits:
        known = [(o, landed) for o, landed in known if landed <= policy.max_unit_cost]
        if not known:
            return Unroutable(line.line_id, Attention.OVER_MAX_COST)
    if policy.margin_guard and not line.waive_limits:
        known = [(o, landed) for o, landed in known if landed <= line.unit_price]
        if not known:
            return Unroutable(line.line_id, Attention.NEGATIVE_MARGIN)
    option, landed = min(known, key=lambda pair: _sort_key(pair[0], pair[1], policy))
    stock.take(option, line.quantity)
    return _routed(line, option, landed)


def _routed(line: LineDemand, option: Option, landed_unit: Decimal) -> Routed:
    allocations = tuple(
        Allocation(p.offer_id, p.supplier_id, p.per_unit * line.quantity, p.unit_cost, p.shipping_cost, p.currency)
        for p in option.parts
    )
    return Routed(line.line_id, allocations, landed_unit * line.quantity)


def route_order(lines: Sequence[LineDemand], country: str | None, policy: Policy,
                convert: Convert = same_currency_only) -> list[Routed | Unroutable]:
    """Route every line of one order; then, when allowed, keep the order with one supplier."""
    stock = _Stock()
    results = [route_line(line, country, policy, convert, stock) for line in lines]
    if policy.consolidate_max_extra is None:
        return results
    consolidated = _consolidate(lines, results, country, policy, convert)
    return consolidated if consolidated is not None else results


def _consolidate(lines: Sequence[LineDemand], results: list[Routed | Unroutable], country: str | None,
                 policy: Policy, convert: Convert) -> list[Routed | Unroutable] | None:
    """One supplier for every routed line when that costs at most `consolidate_max_extra` more."""
    routed = [r for r in results if isinstance(r, Routed)]
    suppliers = frozenset().union(*(r.suppliers for r in routed)) if routed else frozenset()
    if len(suppliers) <= 1 or policy.consolidate_max_extra is None:
        return None
    current = sum((r.landed_cost for r in routed), Decimal(0))
    by_line: Mapping[int, LineDemand] = {line.line_id: line for line in lines}
    best: tuple[Decimal, list[Routed | Unroutable]] | None = None
    for supplier in sorted(suppliers):
        stock = _Stock()
        attempt: list[Routed | Unroutable] = []
        for result in results:
            if isinstance(result, Unroutable):
                attempt.append(result)
                continue
            line = by_line[result.line_id]
            only = LineDemand(line.line_id, line.quantity, line.unit_price, line.currency,
                              tuple(o for o in line.options if {p.supplier_id for p in o.parts} == {supplier}),
                              line.waive_limits)
            choice = route_line(only, country, policy, convert, stock)
            if isinstance(choice, Unroutable):
                break
            attempt.append(choice)
        else:
            total = sum((r.landed_cost for r in attempt if isinstance(r, Routed)), Decimal(0))
            if total - current <= policy.consolidate_max_extra and (best is None or total < best[0]):
                best = (total, attempt)
    return best[1] if best else None
