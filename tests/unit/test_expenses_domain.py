"""Other costs, pure: proration adds up to the month to the cent, the CSV parser never crashes and
names the line and field of every bad row."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.domain.expenses import (
    AD_SPEND,
    RECURRING,
    ExpenseError,
    parse_ad_spend_csv,
    prorate_month,
    recurring_by_day,
    validate,
)
from hub.domain.money import minor_units

D = Decimal
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CURRENCIES = ["USD", "EUR", "JPY", "KWD", "GBP"]


@st.composite
def monthly(draw: st.DrawFn) -> tuple[Decimal, str, int, int]:
    currency = draw(st.sampled_from(CURRENCIES))
    units = draw(st.integers(0, 10**12))
    amount = D(units).scaleb(-minor_units(currency))
    return amount, currency, draw(st.integers(1900, 2100)), draw(st.integers(1, 12))


@FUZZ
@given(monthly())
def test_prorated_days_sum_to_the_monthly_amount_to_the_cent(case: tuple[Decimal, str, int, int]) -> None:
    amount, currency, year, month = case
    shares = prorate_month(amount, currency, year, month)
    assert len(shares) == calendar.monthrange(year, month)[1]
    assert sum(shares, D(0)) == amount
    unit = D(1).scaleb(-minor_units(currency))
    assert all(share == share.quantize(unit) for share in shares)
    assert max(shares) - min(shares) <= unit  # fair: no day gets more than one unit over another


def test_proration_of_a_month_is_largest_remainder_earliest_first() -> None:
    shares = prorate_month(D("29.99"), "USD", 2026, 2)  # 2,999 cents over 28 days: 107 each, 3 left
    assert shares[:3] == [D("1.08")] * 3 and shares[3:] == [D("1.07")] * 25
    assert prorate_month(D("1000"), "JPY", 2026, 4) == [D(34)] * 10 + [D(33)] * 20


@FUZZ
@given(monthly(), st.integers(0, 400), st.integers(0, 400), st.one_of(st.none(), st.integers(0, 800)))
def test_recurring_days_sum_to_each_whole_month(case: tuple[Decimal, str, int, int], offset: int, length: int,
                                                end_after: int | None) -> None:
    amount, currency, year, month = case
    start = date(year, month, 1) + timedelta(days=offset % 28)
    end = None if end_after is None else start + timedelta(days=end_after)
    range_start = date(year, month, 1)
    range_end = range_start + timedelta(days=length)
    days = recurring_by_day(amount, currency, start, end, range_start, range_end)
    assert all(start <= day <= range_end and (end is None or day <= end) for day in days)
    by_month: dict[tuple[int, int], list[date]] = {}
    for day in days:
        by_month.setdefault((day.year, day.month), []).append(day)
    for (y, m), active in by_month.items():
        if len(active) == calendar.monthrange(y, m)[1]:
            assert sum((days[d] for d in active), D(0)) == amount


def test_recurring_cost_from_mid_month_takes_its_days_share() -> None:
    days = recurring_by_day(D("30.00"), "USD", date(2026, 11, 16), None, date(2026, 11, 1), date(2026, 12, 31))
    assert min(days) == date(2026, 11, 16) and len(days) == 15 + 31
    assert sum((v for d, v in days.items() if d.month == 11), D(0)) == D("15.00")
    assert sum((v for d, v in days.items() if d.month == 12), D(0)) == D("30.00")
    assert recurring_by_day(D("30.00"), "USD", date(2026, 11, 1), date(2026, 10, 31), date(2026, 11, 1),
                            date(2026, 11, 30)) == {}


def test_parser_keeps_good_rows_and_names_line_and_field_of_bad_ones() -> None:
    text = ("date,platform,campaign,amount,currency,store\n"
            "2026-11-01,Facebook,Black Friday,120.50,usd,\n"
            "2026-11-31,google,x,1,USD,\n"
            "2026-11-02,google,x,1.005,USD,shop\n"
            "\n"
            "2026-11-02,,x,1,USD,\n"
            "2026-11-02,tiktok,x,1,XYZ,\n"
            "2026-11-03,tiktok,,500,JPY,7\n")
    good, errors = parse_ad_spend_csv(text)
    assert [(line, e.platform, e.name, e.amount, e.currency, e.store) for line, e in good] == [
        (2, "facebook", "Black Friday", D("120.50"), "USD", None), (8, "tiktok", "", D("500"), "JPY", "7")]
    assert [(e.line, e.field) for e in errors] == [(3, "date"), (4, "amount"), (6, "platform"), (7, "currency")]
    assert "more than 2 decimals" in errors[1].message
    assert str(errors[0]).startswith("line 3, date:")


def test_missing_columns_are_one_header_error() -> None:
    good, errors = parse_ad_spend_csv("day,amount\n2026-11-01,3\n")
    assert good == [] and [(e.line, e.field) for e in errors] == [(1, "header")]
    assert "date, platform, currency" in errors[0].message


@pytest.mark.parametrize("kwargs, field", [
    ({"kind": "bogus"}, "kind"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "1e20"}, "amount"),
    ({"name": ""}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"name": "a\x00b"}, "name"),
    ({"end_day": "2026-10-01"}, "end"),
    ({"day": "1/11/2026"}, "date"),
])
def test_validate_names_the_bad_field(kwargs: dict[str, str], field: str) -> None:
    values = {"kind": RECURRING, "day": "2026-11-01", "amount": "29", "currency": "USD", "name": "Shopify plan"}
    values.update(kwargs)
    with pytest.raises(ExpenseError) as caught:
        validate(values.pop("kind"), values.pop("day"), values.pop("amount"), values.pop("currency"),
                 **values)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_only_a_recurring_cost_has_an_end() -> None:
    with pytest.raises(ExpenseError, match="only a recurring"):
        validate(AD_SPEND, "2026-11-01", "1", "USD", platform="x", end_day="2026-12-01")


cell = st.one_of(st.text(max_size=15), st.sampled_from(["2026-11-01", "USD", "12.50", "", "facebook", "JPY",
                                                        "0", "1e3", "-2", "2026-02-30"]))


@FUZZ
@given(st.lists(st.lists(cell, min_size=0, max_size=8), max_size=8), st.booleans())
def test_parser_never_crashes_and_accounts_for_every_row(rows: list[list[str]], with_header: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if with_header:
        writer.writerow(["date", "platform", "campaign", "amount", "currency", "store"])
    writer.writerows(rows)
    good, errors = parse_ad_spend_csv(buffer.getvalue())
    for error in errors:
        assert error.line >= 1 and error.field and error.message
    if with_header:
        lines = {line for line, _ in good} | {e.line for e in errors}
        assert len(lines) == len(good) + len(errors)  # one outcome per row
        non_blank = sum(1 for r in rows if any(c.strip() for c in r))
        assert len(good) + len(errors) <= len(rows) and len(good) <= non_blank


@FUZZ
@given(st.text(max_size=300))
def test_parser_never_crashes_on_any_text(text: str) -> None:
    good, errors = parse_ad_spend_csv(text)
    assert all(e.line >= 1 for e in errors)
    assert all(item.amount >= 0 for _, item in good)


def test_an_unreadable_row_is_reported_and_the_next_rows_still_read() -> None:
    text = ("date,platform,campaign,amount,currency\n"
            f'2026-11-01,google,"{"x" * 200_000}",1,USD\n'
            "2026-11-02,google,ok,2,USD\n")
    good, errors = parse_ad_spend_csv(text)
    assert [(e.line, e.field) for e in errors] == [(2, "row")] and "field limit" in errors[0].message
    assert [(line, item.name) for line, item in good] == [(3, "ok")]
