from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.availability import StockMode, StockOption, StockPart, StockRule, available_quantity
from hub.domain.pricing import PriceRule, Rounding, decide_price, round_price

D = Decimal


def option(priority: int, *parts: tuple[int, int]) -> StockOption:
    return StockOption(priority, tuple(StockPart(available, per_unit) for available, per_unit in parts))


@pytest.mark.parametrize(("options", "rule", "expected"), [
    ([option(0, (7, 1)), option(1, (20, 1))], StockRule(), 7),
    ([option(0, (0, 1)), option(1, (20, 1))], StockRule(), 20),  # first with stock, in routing order
    ([option(1, (20, 1)), option(0, (7, 1))], StockRule(), 7),
    ([option(0, (7, 1)), option(1, (20, 1))], StockRule(StockMode.SUM), 27),
    ([option(0, (9, 2), (5, 1))], StockRule(), 4),  # bundle: scarcest part decides
    ([option(0, (7, 1))], StockRule(safety_buffer=3), 4),
    ([option(0, (2, 1))], StockRule(safety_buffer=3), 0),  # clamped at zero
    ([option(0, (4, 1))], StockRule(minimum=5), 0),  # under the minimum: shown as sold out
    ([option(0, (-3, 1))], StockRule(), 0),  # more held than in stock
    ([], StockRule(), 0),
])
def test_availability(options: list[StockOption], rule: StockRule, expected: int) -> None:
    assert available_quantity(options, rule) == expected


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-10, 1000), st.integers(1, 5)), max_size=6),
       st.integers(0, 50), st.integers(0, 50), st.sampled_from(list(StockMode)))
def test_availability_is_never_negative_nor_above_the_stock(raw: list[tuple[int, int, int]], buffer: int,
                                                             minimum: int, mode: StockMode) -> None:
    options = [option(p, (a, u)) for p, a, u in raw]
    quantity = available_quantity(options, StockRule(mode, buffer, minimum))
    assert 0 <= quantity <= sum(max(0, a) for _, a, _ in raw)


@pytest.mark.parametrize(("amount", "rounding", "expected"), [
    ("19.20", Rounding.NINETY_NINE, "19.99"), ("19.995", Rounding.NINETY_NINE, "20.99"),
    ("20.00", Rounding.NINETY_NINE, "20.99"), ("19.00", Rounding.NINETY_NINE, "19.99"),
    ("19.96", Rounding.NINETY_FIVE, "20.95"), ("19.20", Rounding.NINETY_FIVE, "19.95"),
    ("19.01", Rounding.WHOLE, "20"), ("19.001", Rounding.NONE, "19.01"),
])
def test_rounding_goes_up_to_the_ending(amount: str, rounding: Rounding, expected: str) -> None:
    assert round_price(D(amount), rounding) == D(expected)


def test_markup_fixed_compare_at_and_margin_floor() -> None:
    decision = decide_price(D("10.00"), None, PriceRule(D(50), D("2.00"), Rounding.NINETY_NINE, D("1.3")))
    assert (decision.price, decision.compare_at, decision.needs_approval) == (D("17.99"), D("23.99"), False)
    floor = decide_price(D("10.00"), None, PriceRule(D(10), rounding=Rounding.NONE, min_margin_percent=D(50)))
    assert floor.price == D("20.00")  # 10% markup would give 11.00, under the 50% margin


def test_big_moves_wait_for_approval() -> None:
    rule = PriceRule(D(100), rounding=Rounding.NONE)
    assert not decide_price(D("10"), D("19.00"), rule).needs_approval  # +5.3%
    held = decide_price(D("10"), D("15.00"), rule)
    assert held.needs_approval and held.price == D("20.00") and "33.3%" in (held.reason or "")
    assert decide_price(D("10"), D("30.00"), rule).needs_approval  # -33%
    with pytest.raises(ValueError):
        decide_price(D("0"), None, rule)
