"""Every routing rule and every attention reason, table-driven."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.domain.routing import (
    Attention,
    LineDemand,
    Option,
    Part,
    Policy,
    Routed,
    Strategy,
    Unroutable,
    route_line,
    route_order,
)

D = Decimal


def part(offer: int, supplier: int, cost: str, *, ship: str = "0", stock: int = 10, per_unit: int = 1,
         countries: str = "", lead: int = 5, priority: int = 100, currency: str = "USD") -> Part:
    return Part(offer, supplier, per_unit, D(cost), D(ship), currency, stock,
                frozenset(countries.split()) if countries else frozenset(), lead, priority)


def line(*options: Option, qty: int = 1, price: str = "50", line_id: int = 1) -> LineDemand:
    return LineDemand(line_id, qty, D(price), "USD", options)


def opt(priority: int, *parts: Part) -> Option:
    return Option(priority, parts)


def offers(result: Routed | Unroutable) -> list[tuple[int, int]]:
    assert isinstance(result, Routed), result
    return [(a.offer_id, a.quantity) for a in result.allocations]


CASES = [
    # (name, line, country, policy, expected offers or attention)
    ("priority wins over price", line(opt(0, part(1, 1, "20")), opt(1, part(2, 2, "5"))), "US", Policy(),
     [(1, 1)]),
    ("landed cost wins over priority", line(opt(0, part(1, 1, "20")), opt(1, part(2, 2, "5"))), "US",
     Policy(Strategy.LANDED_COST), [(2, 1)]),
    ("shipping counts in landed cost", line(opt(0, part(1, 1, "5", ship="10")), opt(0, part(2, 2, "8", ship="3"))),
     "US", Policy(Strategy.LANDED_COST), [(2, 1)]),
    ("equal cost: shorter lead time", line(opt(0, part(1, 1, "5", lead=9)), opt(0, part(2, 2, "5", lead=2))), "US",
     Policy(Strategy.LANDED_COST), [(2, 1)]),
    ("equal mapping priority: supplier priority",
     line(opt(0, part(1, 1, "5", priority=50)), opt(0, part(2, 2, "5", priority=10))), "US", Policy(), [(2, 1)]),
    ("fallback when first is out of stock", line(opt(0, part(1, 1, "5", stock=1)), opt(1, part(2, 2, "9")), qty=2),
     "US", Policy(), [(2, 2)]),
    ("country filter", line(opt(0, part(1, 1, "5", countries="DE FR")), opt(1, part(2, 2, "9", countries="US"))),
     "US", Policy(), [(2, 1)]),
    ("bundle needs every part in stock", line(opt(0, part(1, 1, "2", per_unit=2, stock=1), part(2, 1, "3")),
                                              opt(1, part(3, 2, "9"))), "US", Policy(), [(3, 1)]),
    ("bundle quantities multiply", line(opt(0, part(1, 1, "2", per_unit=2), part(2, 1, "3")), qty=2), "US",
     Policy(), [(1, 4), (2, 2)]),
    ("no mapping", line(), "US", Policy(), Attention.NO_MAPPING),
    ("out of stock everywhere", line(opt(0, part(1, 1, "5", stock=0)), opt(1, part(2, 2, "5", stock=1)), qty=2),
     "US", Policy(), Attention.OUT_OF_STOCK),
    ("country not served", line(opt(0, part(1, 1, "5", countries="DE"))), "US", Policy(),
     Attention.COUNTRY_NOT_SERVED),
    ("unknown destination with a restricted offer", line(opt(0, part(1, 1, "5", countries="DE"))), None, Policy(),
     Attention.COUNTRY_NOT_SERVED),
    ("over maximum unit cost", line(opt(0, part(1, 1, "30", ship="5"))), "US", Policy(max_unit_cost=D("30")),
     Attention.OVER_MAX_COST),
    ("max cost picks the cheaper fallback", line(opt(0, part(1, 1, "30")), opt(1, part(2, 2, "20"))), "US",
     Policy(max_unit_cost=D("25")), [(2, 1)]),
    ("negative margin held", line(opt(0, part(1, 1, "45", ship="10")), price="50"), "US", Policy(),
     Attention.NEGATIVE_MARGIN),
    ("margin guard off", line(opt(0, part(1, 1, "45", ship="10")), price="50"), "US", Policy(margin_guard=False),
     [(1, 1)]),
    ("foreign currency without a rate", line(opt(0, part(1, 1, "5", currency="EUR"))), "US", Policy(),
     Attention.NO_FX_RATE),
]


@pytest.mark.parametrize(("name", "demand", "country", "policy", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, demand: LineDemand, country: str | None, policy: Policy,
              expected: list[tuple[int, int]] | Attention) -> None:
    result = route_line(demand, country, policy, lambda amount, source, target: amount if source == target else None)
    if isinstance(expected, Attention):
        assert isinstance(result, Unroutable) and result.reason is expected and result.text
    else:
        assert offers(result) == expected


def test_every_attention_reason_has_a_case() -> None:
    assert {c[4] for c in CASES if isinstance(c[4], Attention)} == set(Attention)


def test_fx_conversion_decides_landed_cost() -> None:
    rates = {("EUR", "USD"): D("1.10")}
    demand = line(opt(0, part(1, 1, "10", currency="EUR")), opt(0, part(2, 2, "10.50")))
    convert = lambda amount, s, t: amount if s == t else (amount * rates[(s, t)] if (s, t) in rates else None)  # noqa: E731
    result = route_line(demand, "US", Policy(Strategy.LANDED_COST), convert)
    assert offers(result) == [(2, 1)]
    assert isinstance(result, Routed) and result.landed_cost == D("10.50")


def test_two_lines_share_an_offers_stock() -> None:
    shared = part(1, 1, "5", stock=3)
    lines = [line(opt(0, shared), opt(1, part(2, 2, "8")), qty=2, line_id=1),
             line(opt(0, shared), opt(1, part(2, 2, "8")), qty=2, line_id=2)]
    first, second = route_order(lines, "US", Policy())
    assert offers(first) == [(1, 2)] and offers(second) == [(2, 2)]


def test_consolidation_keeps_one_supplier_within_the_allowed_extra() -> None:
    lines = [line(opt(0, part(1, 1, "10")), opt(0, part(3, 2, "11")), line_id=1),
             line(opt(0, part(2, 2, "10")), opt(0, part(4, 1, "12")), line_id=2)]
    split = route_order(lines, "US", Policy(Strategy.LANDED_COST))
    assert [offers(r) for r in split] == [[(1, 1)], [(2, 1)]]
    together = route_order(lines, "US", Policy(Strategy.LANDED_COST, consolidate_max_extra=D("1.00")))
    assert [offers(r) for r in together] == [[(3, 1)], [(2, 1)]]  # supplier 2: +1.00
    too_dear = route_order(lines, "US", Policy(Strategy.LANDED_COST, consolidate_max_extra=D("0.99")))
    assert [offers(r) for r in too_dear] == [[(1, 1)], [(2, 1)]]


SCORES = {1: D("0.5000"), 2: D("0.9500")}


@pytest.mark.parametrize(("name", "demand", "policy", "expected"), [
    ("landed-cost tie, no preference: option priority decides",
     line(opt(0, part(1, 1, "5")), opt(1, part(2, 2, "5"))), Policy(Strategy.LANDED_COST, scores=SCORES), [(1, 1)]),
    ("landed-cost tie, the better scorecard wins",
     line(opt(0, part(1, 1, "5")), opt(1, part(2, 2, "5"))),
     Policy(Strategy.LANDED_COST, prefer_scorecard=True, scores=SCORES), [(2, 1)]),
    ("the scorecard never beats a lower cost",
     line(opt(0, part(1, 1, "4.99")), opt(1, part(2, 2, "5"))),
     Policy(Strategy.LANDED_COST, prefer_scorecard=True, scores=SCORES), [(1, 1)]),
    ("a supplier with a figure ranks before one without",
     line(opt(0, part(1, 1, "5")), opt(1, part(2, 2, "5"))),
     Policy(Strategy.LANDED_COST, prefer_scorecard=True, scores={2: D("0.1")}), [(2, 1)]),
    ("priority strategy: same priorities and cost, the better scorecard wins",
     line(opt(0, part(1, 1, "5"), ), opt(0, part(2, 2, "5"))), Policy(prefer_scorecard=True, scores=SCORES),
     [(2, 1)]),
    ("a bundle counts its worst supplier",
     line(opt(0, part(1, 2, "2"), part(3, 1, "3")), opt(1, part(2, 3, "5"))),
     Policy(Strategy.LANDED_COST, prefer_scorecard=True, scores={**SCORES, 3: D("0.6")}), [(2, 1)]),
])
def test_scorecard_breaks_a_cost_tie(name: str, demand: LineDemand, policy: Policy,
                                     expected: list[tuple[int, int]]) -> None:
    assert offers(route_line(demand, "US", policy, lambda amount, source, target: amount)) == expected


def test_the_store_setting_turns_the_tie_break_on() -> None:
    from hub.services.routing_load import policy_of

    assert policy_of({}).prefer_scorecard is False
    assert policy_of({"routing": {"prefer_scorecard": True}}).prefer_scorecard is True
