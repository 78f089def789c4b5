"""Rows of a breakdown rounded so they add up to the rounded exact total, each within one unit."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.money import minor_units, quantize
from hub.services.profit import COLUMNS, ProfitRow, round_rows

exact = st.decimals(min_value=Decimal("-10000"), max_value=Decimal("10000"), places=7, allow_nan=False,
                    allow_infinity=False)


@given(values=st.lists(exact, min_size=1, max_size=30), currency=st.sampled_from(["USD", "JPY", "KWD"]))
@settings(max_examples=300, deadline=None)
def test_rounded_rows_add_up_to_the_rounded_total(values: list[Decimal], currency: str) -> None:
    rows = [ProfitRow(str(i)) for i in range(len(values))]
    for row, value in zip(rows, values, strict=True):
        row.amounts = dict.fromkeys(COLUMNS, value)
    round_rows(rows, currency)
    unit = Decimal(1).scaleb(-minor_units(currency))
    for name in COLUMNS:
        got = [row.amounts[name] for row in rows]
        assert sum(got, Decimal(0)) == quantize(sum(values, Decimal(0)), currency)
        assert all(abs(g - v) < unit for g, v in zip(got, values, strict=True))
        assert all(g % unit == 0 for g in got)
    profits = [row.view(currency)["profit"] for row in rows]
    assert sum(Decimal(p) for p in profits) == quantize(sum(row_profit(v) for v in values), currency)


def row_profit(value: Decimal) -> Decimal:
    return value - 4 * value + value  # revenue - refunds - fees - supplier - shipping + fx, all = value


def test_rows_already_exact_are_left_alone_and_the_cent_goes_to_the_furthest() -> None:
    rows = [ProfitRow("a"), ProfitRow("b"), ProfitRow("c")]
    for row, value in zip(rows, ("1.00", "0.004", "0.0049"), strict=True):
        row.amounts["revenue"] = Decimal(value)
    round_rows(rows, "USD")  # exact total 1.0089 -> 1.01; rounded one by one 1.00 + 0.00 + 0.00
    assert [row.amounts["revenue"] for row in rows] == [Decimal("1.00"), Decimal("0.00"), Decimal("0.01")]
