"""Report periods: presets, the previous period, the chart's bucket and its keys, the change in %."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.periods import PRESETS, Period, bucket_key, bucket_keys, change_pct, preset

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(("name", "start", "end"), [
    ("today", date(2026, 3, 1), date(2026, 3, 1)),
    ("yesterday", date(2026, 2, 28), date(2026, 2, 28)),
    ("last_7_days", date(2026, 2, 23), date(2026, 3, 1)),
    ("last_30_days", date(2026, 1, 31), date(2026, 3, 1)),
    ("this_month", date(2026, 3, 1), date(2026, 3, 1)),
    ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
])
def test_presets_count_back_from_today(name: str, start: date, end: date) -> None:
    assert preset(name, TODAY) == Period(start, end)


def test_last_month_in_january_is_december_of_the_year_before() -> None:
    assert preset("last_month", date(2027, 1, 15)) == Period(date(2026, 12, 1), date(2026, 12, 31))


def test_every_preset_is_named_and_an_unknown_one_is_refused() -> None:
    assert all(preset(name, TODAY).end <= TODAY for name in PRESETS)
    with pytest.raises(KeyError):
        preset("last_decade", TODAY)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 800))
def test_previous_period_has_the_same_length_and_ends_the_day_before(start: date, extra: int) -> None:
    period = Period(start, start + timedelta(days=extra))
    before = period.previous()
    assert before.days == period.days and before.end == period.start - timedelta(days=1)


@pytest.mark.parametrize(("days", "bucket"), [(1, "day"), (62, "day"), (63, "week"), (366, "week"),
                                              (367, "month"), (3700, "month")])
def test_long_periods_are_drawn_per_week_or_month(days: int, bucket: str) -> None:
    assert Period(TODAY, TODAY + timedelta(days=days - 1)).bucket() == bucket


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(0, 900),
       st.sampled_from(["day", "week", "month"]))
def test_bucket_keys_cover_every_day_once_in_order(start: date, extra: int, bucket: str) -> None:
    period = Period(start, start + timedelta(days=extra))
    keys = bucket_keys(period, bucket)
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    assert keys == sorted(set(keys), key=keys.index)  # no repeats
    assert {bucket_key(day, bucket) for day in days} == set(keys)
    assert keys[0] == bucket_key(period.start, bucket) and keys[-1] == bucket_key(period.end, bucket)


def test_bucket_keys_match_the_profit_report_keys() -> None:
    assert bucket_key(date(2027, 1, 1), "week") == "2026-W53"  # ISO week, as hub.services.profit writes it
    assert bucket_key(date(2026, 12, 3), "month") == "2026-12"
    assert bucket_keys(Period(date(2026, 11, 30), date(2026, 12, 1))) == ["2026-11-30", "2026-12-01"]


@pytest.mark.parametrize(("now", "before", "change"), [
    ("150", "100", "50.0"), ("50", "100", "-50.0"), ("-50", "-100", "50.0"), ("10", "-10", "200.0"),
    ("1", "3", "-66.7"), ("100", "100", "0.0"),
])
def test_change_is_against_the_size_of_the_previous_value(now: str, before: str, change: str) -> None:
    assert change_pct(Decimal(now), Decimal(before)) == Decimal(change)


def test_no_change_is_claimed_from_nothing() -> None:
    assert change_pct(Decimal(5), Decimal(0)) is None
