"""Report periods: presets, the previous period of the same length, the chart's bucket, changes.

Pure: today is passed in, so a test (or a server in another timezone) decides what "today" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

PRESETS: dict[str, str] = {
    "today": "Today", "yesterday": "Yesterday", "last_7_days": "Last 7 days", "last_30_days": "Last 30 days",
    "this_month": "This month", "last_month": "Last month",
}
DAILY_UP_TO = 62  # days; longer periods are drawn per ISO week
WEEKLY_UP_TO = 366  # days; longer periods are drawn per month


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def bucket(self) -> str:
        """The profit grouping the chart uses, so a year is 53 bars, not 365."""
        if self.days <= DAILY_UP_TO:
            return "day"
        return "week" if self.days <= WEEKLY_UP_TO else "month"


def preset(name: str, today: date) -> Period:
    """The period a preset names, counted back from `today` (inclusive); KeyError for an unknown name."""
    if name == "today":
        return Period(today, today)
    if name == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day)
    if name == "last_7_days":
        return Period(today - timedelta(days=6), today)
    if name == "last_30_days":
        return Period(today - timedelta(days=29), today)
    if name == "this_month":
        return Period(today.replace(day=1), today)
    if name == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(end.replace(day=1), end)
    raise KeyError(name)


def change_pct(current: Decimal, previous: Decimal) -> Decimal | None:
    """Change in % against the previous value, to 0.1; None when there is nothing to compare with."""
    if previous == 0:
        return None
    return ((current - previous) / abs(previous) * 100).quantize(Decimal("0.1"))


def days_of(period: Period) -> list[date]:
    return [period.start + timedelta(days=offset) for offset in range(period.days)]


def bucket_key(day: date, bucket: str) -> str:
    """The key `hub.services.profit` gives a day's facts when grouping by day, ISO week or month."""
    if bucket == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if bucket == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def bucket_keys(period: Period, bucket: str | None = None) -> list[str]:
    """Every bucket of the period in order, those without facts too (a chart shows the quiet days)."""
    keys: list[str] = []
    for day in days_of(period):
        key = bucket_key(day, bucket or period.bucket())
        if not keys or keys[-1] != key:
            keys.append(key)
    return keys
