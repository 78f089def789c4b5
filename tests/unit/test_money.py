from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.money import Money, MoneyError, minor_units, normalize_currency, quantize, to_decimal


def test_arithmetic_is_exact_and_refuses_mixed_currencies() -> None:
    total = Money(Decimal("0"), "usd")
    for _ in range(10):
        total = total + Money(Decimal("0.1"), "USD")
    assert total == Money(Decimal("1.0"), "USD")
    with pytest.raises(MoneyError, match="cannot combine"):
        _ = total + Money(Decimal("1"), "EUR")


def test_floats_and_garbage_are_refused() -> None:
    with pytest.raises(MoneyError, match="inexact"):
        to_decimal(0.1)
    with pytest.raises(MoneyError):
        to_decimal("12,3.4")
    with pytest.raises(MoneyError):
        to_decimal("NaN")
    with pytest.raises(MoneyError, match="unknown currency"):
        normalize_currency("XXX1")


def test_minor_units_and_bankers_rounding() -> None:
    assert minor_units("JPY") == 0 and minor_units("KWD") == 3 and minor_units("EUR") == 2
    assert quantize(Decimal("2.345"), "USD") == Decimal("2.34")
    assert quantize(Decimal("2.355"), "USD") == Decimal("2.36")
    assert quantize(Decimal("1234.5"), "JPY") == Decimal("1234")


@given(st.lists(st.decimals(min_value=-10**9, max_value=10**9, places=4), max_size=50))
def test_sum_matches_decimal_sum(amounts: list[Decimal]) -> None:
    total = Money.zero("EUR")
    for amount in amounts:
        total = total + Money(amount, "EUR")
    assert total.amount == sum(amounts, Decimal(0))


def test_format_amount_keeps_minor_units_and_real_precision() -> None:
    from hub.domain.money import format_amount

    assert format_amount(Decimal("30.0000"), "USD") == "30.00"
    assert format_amount(Decimal("1.2345"), "USD") == "1.2345"
    assert format_amount(Decimal("1200.0000"), "JPY") == "1200"
    assert format_amount(Decimal("-0.5"), "KWD") == "-0.500"
