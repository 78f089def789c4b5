"""The money KPIs of a period: contribution profit from the orders' ledger, other costs, net profit.

Contribution profit is `hub.services.profit.profit_rows` by day, summed. Other costs (ad spend,
recurring, one-off) are converted per day at that day's recorded rate, like the ledger; a
(currency, day) without a rate is left out and flagged in `fx_missing`, never guessed. A store's
report holds the costs recorded for that store; costs of all stores appear in the all-stores report.
Amounts are summed at full precision and rounded once to the currency's minor unit, and net profit
is contribution profit minus other costs of the rounded figures, so the cards add up to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import OrderDaily
from hub.domain.money import quantize
from hub.services.expense_costs import DayCosts, other_costs_by_day
from hub.services.profit import COLUMNS, profit_rows

__all__ = ["Change", "Comparison", "DayCosts", "Summary", "compare", "other_costs_by_day", "summary"]

_HUNDRED = Decimal(100)
_RATIO = Decimal("0.01")


@dataclass(frozen=True)
class Summary:
    """A period's KPIs in `currency`; every amount rounded to the currency's minor unit."""

    start: date
    end: date
    currency: str
    store_id: int | None
    revenue: Decimal
    refunds: Decimal
    fees: Decimal
    supplier_cost: Decimal
    shipping_cost: Decimal
    fx: Decimal
    contribution_profit: Decimal
    ad_spend: Decimal
    recurring_costs: Decimal
    one_off_costs: Decimal
    other_costs: Decimal
    net_profit: Decimal
    margin: Decimal | None  # net profit / revenue, %
    contribution_margin: Decimal | None  # contribution profit / revenue, %
    orders: int
    average_order_profit: Decimal | None  # contribution profit / orders
    roas: Decimal | None  # revenue / ad spend, where there is ad spend
    profit_on_ad_spend: Decimal | None  # contribution profit / ad spend, where there is ad spend
    fx_missing: bool
    fx_missing_for: tuple[str, ...] = field(default=())
    incomplete: bool = False  # some order of the period lacks a supplier cost (not routed or not charged)
    estimated: bool = False  # some supplier cost is still the estimate, not the charge

    def view(self) -> dict[str, Any]:
        """JSON: amounts and ratios as decimal strings, None where a ratio has no denominator."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal):
                out[f.name] = str(value)
            elif isinstance(value, date):
                out[f.name] = value.isoformat()
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            else:
                out[f.name] = value
        return out


# The figures a comparison reports a change for.
COMPARED = ("revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "fx", "contribution_profit",
            "ad_spend", "recurring_costs", "one_off_costs", "other_costs", "net_profit", "margin",
            "contribution_margin", "orders", "average_order_profit", "roas", "profit_on_ad_spend")


@dataclass(frozen=True)
class Change:
    absolute: Decimal | int | None
    percent: Decimal | None  # change / |previous| × 100; None when the previous figure is 0 or absent

    def view(self) -> dict[str, Any]:
        return {"absolute": None if self.absolute is None else str(self.absolute),
                "percent": None if self.percent is None else str(self.percent)}


@dataclass(frozen=True)
class Comparison:
    current: Summary
    previous: Summary
    changes: dict[str, Change]

    def view(self) -> dict[str, Any]:
        return {"current": self.current.view(), "previous": self.previous.view(),
                "change": {name: change.view() for name, change in self.changes.items()}}


def _ratio(numerator: Decimal, denominator: Decimal, scale: Decimal = _RATIO) -> Decimal | None:
    return (numerator / denominator).quantize(scale) if denominator else None


def orders_placed(session: Session, start: date, end: date, store_id: int | None = None) -> int:
    """Orders placed on the days of the range (UTC), the days their ledger facts are booked on; read
    from the trigger-kept `order_daily` (one row per day and store)."""
    statement = select(func.coalesce(func.sum(OrderDaily.orders), 0)).where(OrderDaily.day >= start,
                                                                             OrderDaily.day <= end)
    if store_id is not None:
        statement = statement.where(OrderDaily.store_id == store_id)
    return int(session.execute(statement).scalar_one())


def summary(session: Session, start: date, end: date, currency: str, store_id: int | None = None) -> Summary:
    """Revenue to net profit for [start, end] (UTC days, inclusive) in `currency`."""
    totals = dict.fromkeys(COLUMNS, Decimal(0))
    profit = Decimal(0)
    missing: set[tuple[str, date]] = set()
    incomplete = estimated = False
    for row in profit_rows(session, start, end, "day", currency, store_id):
        for name in COLUMNS:
            totals[name] += row.amounts[name]
        rounded = getattr(row, "rounded_profit", None)  # the profit report's own rounding, where it has one
        profit += row.profit if rounded is None else rounded
        missing |= row.fx_missing
        incomplete = incomplete or bool(getattr(row, "incomplete", False))
        estimated = estimated or bool(getattr(row, "estimated", False))
    days = other_costs_by_day(session, start, end, currency, store_id)
    ad = sum((d.ad_spend for d in days), Decimal(0))
    recurring = sum((d.recurring for d in days), Decimal(0))
    one_off = sum((d.one_off for d in days), Decimal(0))
    for day in days:
        missing |= day.fx_missing
    q = {name: quantize(value, currency) for name, value in totals.items()}
    contribution = quantize(profit, currency)
    ad_q, recurring_q, one_off_q = (quantize(v, currency) for v in (ad, recurring, one_off))
    other = ad_q + recurring_q + one_off_q
    net = contribution - other
    orders = orders_placed(session, start, end, store_id)
    revenue = q["revenue"]
    return Summary(
        start=start, end=end, currency=currency, store_id=store_id,
        revenue=revenue, refunds=q["refunds"], fees=q["fees"], supplier_cost=q["supplier_cost"],
        shipping_cost=q["shipping_cost"], fx=q["fx"], contribution_profit=contribution,
        ad_spend=ad_q, recurring_costs=recurring_q, one_off_costs=one_off_q, other_costs=other,
        net_profit=net, margin=_ratio(net * _HUNDRED, revenue), contribution_margin=_ratio(contribution * _HUNDRED,
                                                                                            revenue),
        orders=orders,
        average_order_profit=quantize(contribution / orders, currency) if orders else None,
        roas=_ratio(revenue, ad_q), profit_on_ad_spend=_ratio(contribution, ad_q),
        fx_missing=bool(missing), fx_missing_for=tuple(sorted(f"{c} {d.isoformat()}" for c, d in missing)),
        incomplete=incomplete, estimated=estimated)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length that ends the day before `start`."""
    length = (end - start).days + 1
    previous_end = start - timedelta(days=1)
    return previous_end - timedelta(days=length - 1), previous_end


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Change:
    if current is None or previous is None:
        return Change(None, None)
    absolute = current - previous
    percent = (Decimal(absolute) * _HUNDRED / abs(Decimal(previous))).quantize(_RATIO) if previous else None
    return Change(absolute, percent)


def compare(session: Session, start: date, end: date, currency: str, store_id: int | None = None) -> Comparison:
    """This period's summary, the previous period's of the same length, and the change of each figure."""
    current = summary(session, start, end, currency, store_id)
    previous = summary(session, *previous_period(start, end), currency, store_id)
    return Comparison(current, previous, {name: change(getattr(current, name), getattr(previous, name))
                                          for name in COMPARED})
