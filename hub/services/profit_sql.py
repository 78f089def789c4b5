"""Profit converted to the reporting currency inside PostgreSQL: `ledger_part_daily` joined to the
day's rates (a VALUES list) and summed exactly in NUMERIC, one row per key however long the range.

Converting in Python needed one row per key, currency and day (a year by product in two
currencies: 110,000 rows, over a second); here the database returns one row per key. SQLite has
no exact decimal arithmetic, so there `hub.services.profit` converts in Python as before.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Numeric,
    Select,
    String,
    and_,
    case,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from hub.db.models import FxRate, LedgerDaily
from hub.domain.money import STORAGE_DECIMALS, normalize_currency

SCALE = Decimal(10) ** STORAGE_DECIMALS  # Money is stored as integer 1/10,000 units


def day_rates(session: Session, currencies: set[str], quote: str, start: date,
              end: date) -> dict[tuple[str, date], Decimal | None]:
    """The rate of every (currency, day) of the range into `quote`: the latest direct rate on or
    before the day, else the inverse of the latest inverse rate (as `fx.converter`), in two
    queries per currency instead of two per day."""
    out: dict[tuple[str, date], Decimal | None] = {}
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    for currency in sorted(currencies):
        direct = _series(session, currency, quote, end)
        inverse = _series(session, quote, currency, end)
        for day in days:
            found = _latest(direct, day)
            if found is None:
                back = _latest(inverse, day)
                found = Decimal(1) / back if back else None
            out[(currency, day)] = found
    return out


def _series(session: Session, base: str, quote: str, end: date) -> tuple[list[date], list[Decimal]]:
    rows = session.execute(select(FxRate.day, FxRate.rate).where(FxRate.base == base, FxRate.quote == quote,
                                                                 FxRate.day <= end).order_by(FxRate.day)).all()
    return [r[0] for r in rows], [r[1] for r in rows]


def _latest(series: tuple[list[date], list[Decimal]], day: date) -> Decimal | None:
    index = bisect_right(series[0], day)
    return series[1][index - 1] if index else None


def currencies_in(session: Session, start: date, end: date, store_id: int | None) -> set[str]:
    """Currencies with facts in the range, read from the small per-day ledger summary."""
    query = select(LedgerDaily.currency).where(LedgerDaily.booked_on >= start, LedgerDaily.booked_on <= end)
    if store_id is not None:
        query = query.where(LedgerDaily.store_id == store_id)
    return set(session.execute(query.distinct()).scalars())


def converted_query(table: Any, start: date, end: date, currency: str, rates: dict[tuple[str, date], Decimal],
                    store_id: int | None, key: Any, flags: list[Any], columns: tuple[str, ...]) -> Select[Any]:
    """One row per key (per day for periods), every amount already in `currency`, in 1/10,000 units.

    The rates come as three array parameters unnested into a table, so the statement's text is the
    same whatever the range (SQLAlchemy compiles it once; a VALUES list was compiled every time)."""
    same = case((table.currency == literal_column(f"'{normalize_currency(currency)}'"), literal_column("1")),
                else_=None)
    ordered = sorted(rates.items())
    rate_table = select(
        func.unnest(type_coerce([c for (c, _), _ in ordered], ARRAY(String()))).label("r_currency"),
        func.unnest(type_coerce([d for (_, d), _ in ordered], ARRAY(Date()))).label("r_day"),
        func.unnest(type_coerce([r for _, r in ordered], ARRAY(Numeric()))).label("r_rate"),
    ).subquery("day_rates")
    rate = func.coalesce(rate_table.c.r_rate, same)
    sums = [type_coerce(func.sum(type_coerce(getattr(table, name), BigInteger) * rate), Numeric()).label(name)
            for name in columns]
    group = key if key is not None else table.booked_on
    statement = select(group.label("key"), *sums, *flags).select_from(table).outerjoin(
        rate_table, and_(rate_table.c.r_currency == table.currency, rate_table.c.r_day == table.booked_on))
    statement = statement.where(table.booked_on >= start, table.booked_on <= end)
    if store_id is not None:
        statement = statement.where(table.store_id == store_id)
    return statement.group_by(group)
