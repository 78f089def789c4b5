"""Other costs per day in a reporting currency: ad spend and one-off costs as recorded, recurring
costs prorated per calendar day (`hub.domain.expenses.recurring_by_day`), each converted at the rate
of its day (the latest on or before it, the inverse pair accepted, as `hub.services.fx` does)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hub.db.models import Expense, FxRate
from hub.domain.expenses import AD_SPEND, ONE_OFF, RECURRING, recurring_by_day
from hub.domain.money import quantize

_BUCKET = {AD_SPEND: "ad_spend", ONE_OFF: "one_off", RECURRING: "recurring"}


@dataclass
class DayCosts:
    """One day's other costs in the reporting currency, at full precision (`view` rounds)."""

    day: date
    ad_spend: Decimal = Decimal(0)
    recurring: Decimal = Decimal(0)
    one_off: Decimal = Decimal(0)
    fx_missing: set[tuple[str, date]] = field(default_factory=set)

    @property
    def total(self) -> Decimal:
        return self.ad_spend + self.recurring + self.one_off

    def view(self, currency: str) -> dict[str, Any]:
        parts = {name: quantize(getattr(self, name), currency) for name in ("ad_spend", "recurring", "one_off")}
        return {"day": self.day.isoformat(), **{k: str(v) for k, v in parts.items()},
                "total": str(sum(parts.values(), Decimal(0))), "currency": currency,
                "fx_missing": bool(self.fx_missing)}


def _scope(statement: Any, store_id: int | None) -> Any:
    return statement if store_id is None else statement.where(Expense.store_id == store_id)


def _amounts(session: Session, start: date, end: date, store_id: int | None
             ) -> dict[tuple[str, date, str], Decimal]:
    """(kind, day, currency) → amount in that currency, over the range."""
    out: dict[tuple[str, date, str], Decimal] = defaultdict(Decimal)
    daily = _scope(select(Expense.kind, Expense.day, Expense.currency, func.sum(Expense.amount))
                   .where(Expense.kind.in_((AD_SPEND, ONE_OFF)), Expense.day >= start, Expense.day <= end)
                   .group_by(Expense.kind, Expense.day, Expense.currency), store_id)
    for kind, day, currency, amount in session.execute(daily).all():
        out[(kind, day, currency)] += Decimal(amount)
    recurring = _scope(select(Expense.amount, Expense.currency, Expense.day, Expense.end_day)
                       .where(Expense.kind == RECURRING, Expense.day <= end,
                              or_(Expense.end_day.is_(None), Expense.end_day >= start)), store_id)
    for amount, currency, first, last in session.execute(recurring).all():
        for day, share in recurring_by_day(amount, currency, first, last, start, end).items():
            out[(RECURRING, day, currency)] += share
    return out


def day_rates(session: Session, currencies: Iterable[str], quote: str, end: date
              ) -> Callable[[str, date], Decimal | None]:
    """Rate lookups for many days in one query: the latest direct rate on or before the day, else
    the inverse of the latest inverse rate; None when neither exists."""
    wanted = sorted(set(currencies) - {quote})
    series: dict[tuple[str, str], tuple[list[date], list[Decimal]]] = {}
    if wanted:
        rows = session.execute(
            select(FxRate.day, FxRate.base, FxRate.quote, FxRate.rate)
            .where(FxRate.day <= end, or_(and_(FxRate.base.in_(wanted), FxRate.quote == quote),
                                          and_(FxRate.base == quote, FxRate.quote.in_(wanted))))
            .order_by(FxRate.day)).all()
        for day, base, to, value in rows:
            days, rates = series.setdefault((base, to), ([], []))
            days.append(day)
            rates.append(value)

    def latest(base: str, to: str, day: date) -> Decimal | None:
        days, rates = series.get((base, to), ([], []))
        index = bisect.bisect_right(days, day)
        return rates[index - 1] if index else None

    def rate(currency: str, day: date) -> Decimal | None:
        if currency == quote:
            return Decimal(1)
        direct = latest(currency, quote, day)
        if direct is not None:
            return direct
        inverse = latest(quote, currency, day)
        return Decimal(1) / inverse if inverse else None

    return rate


def other_costs_by_day(session: Session, start: date, end: date, currency: str,
                       store_id: int | None = None) -> list[DayCosts]:
    """Every day of [start, end] with its ad spend, recurring and one-off costs in `currency`."""
    amounts = _amounts(session, start, end, store_id)
    rate = day_rates(session, {c for _, _, c in amounts}, currency, end)
    days = {start + timedelta(days=n): DayCosts(start + timedelta(days=n)) for n in range((end - start).days + 1)}
    for (kind, day, code), amount in amounts.items():
        found = rate(code, day)
        costs = days[day]
        if found is None:
            if amount:
                costs.fx_missing.add((code, day))
            continue
        bucket = _BUCKET[kind]
        setattr(costs, bucket, getattr(costs, bucket) + amount * found)
    return list(days.values())
