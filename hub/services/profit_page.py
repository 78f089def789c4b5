"""What the /profit page and the overview's money header show: KPIs against the previous period,
the chart's buckets and the breakdown tables, all read from `hub.services.profit` so every number
equals the API's and the CLI's for the same query.

Other costs (ad spend, subscriptions, one-off costs) are not in the order ledger: they come from
`hub.services.expense_costs`, each kind summed over the period and rounded once, as
`hub.services.kpis.summary` (GET /api/v1/profit/summary) does, so the cards equal the summary's figures.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.engine import Database
from hub.db.models import Order, Store
from hub.domain.money import quantize
from hub.domain.periods import Period, bucket_key, change_pct
from hub.services.expense_costs import other_costs_by_day
from hub.services.profit import COLUMNS, profit_rows

TABLES = ("product", "supplier", "store", "order")
SORTABLE = ("key", "revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "profit", "margin")
TABLE_LIMIT = 200  # rows shown on the page; the CSV has them all
CSV_FIELDS = ("key", "label", "revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "fx", "profit",
              "margin", "incomplete", "estimated", "fx_missing")


@dataclass(frozen=True)
class Totals:
    """One period's money in one currency (quantized), and how many orders it holds."""

    amounts: dict[str, Decimal]  # revenue, refunds, fees, supplier_cost, shipping_cost, fx
    contribution: Decimal  # profit of the orders: revenue less refunds, fees, supplier cost, shipping, +fx
    other_costs: Decimal
    orders: int
    fx_missing: bool

    @property
    def net_profit(self) -> Decimal:
        return self.contribution - self.other_costs

    @property
    def margin(self) -> Decimal | None:
        revenue = self.amounts["revenue"]
        return (self.net_profit / revenue * 100).quantize(Decimal("0.01")) if revenue else None

    def average_order_profit(self, currency: str) -> Decimal | None:
        return quantize(self.contribution / self.orders, currency) if self.orders else None


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    value: str
    previous: str
    change: Decimal | None  # % for amounts and counts, percentage points for the margin
    unit: str  # "%" or "pp"
    higher_is_better: bool


def _sum(rows: list[dict[str, Any]], name: str, currency: str) -> Decimal:
    return quantize(sum((Decimal(r[name]) for r in rows), Decimal(0)), currency)


def _order_count(session: Session, period: Period, store_id: int | None) -> int:
    """Orders placed in the period: the day profit books an order's facts on (an index range on
    orders.placed_at, not a distinct count over a year of ledger rows)."""
    first = datetime.combine(period.start, time.min, tzinfo=UTC)
    statement = select(func.count()).select_from(Order).where(
        Order.placed_at >= first, Order.placed_at < first + timedelta(days=period.days))
    if store_id is not None:
        statement = statement.where(Order.store_id == store_id)
    return int(session.execute(statement).scalar_one())


def day_rows(session: Session, period: Period, currency: str, store_id: int | None) -> list[dict[str, Any]]:
    """The API's rows by day (quantized per day): the page's totals are their sum, to the cent."""
    return [r.view(currency) for r in profit_rows(session, period.start, period.end, "day", currency, store_id)]


def other_costs(session: Session, period: Period, currency: str, store_id: int | None) -> tuple[Decimal, bool]:
    """The period's other costs (each kind rounded once, as the KPI summary does) and whether a
    cost lacked an FX rate for its day."""
    days = other_costs_by_day(session, period.start, period.end, currency, store_id)
    kinds = (quantize(sum((getattr(d, kind) for d in days), Decimal(0)), currency)
             for kind in ("ad_spend", "recurring", "one_off"))
    return sum(kinds, quantize(Decimal(0), currency)), any(d.fx_missing for d in days)


def other_costs_per_bucket(session: Session, period: Period, currency: str,
                           store_id: int | None) -> dict[str, Decimal]:
    """Other costs per chart bucket (day, ISO week or month key), at full precision."""
    bucket = period.bucket()
    found: dict[str, Decimal] = {}
    for day in other_costs_by_day(session, period.start, period.end, currency, store_id):
        if day.total:
            key = bucket_key(day.day, bucket)
            found[key] = found.get(key, Decimal(0)) + day.total
    return found


def totals(session: Session, period: Period, currency: str, store_id: int | None = None) -> Totals:
    rows = day_rows(session, period, currency, store_id)
    other, other_fx_missing = other_costs(session, period, currency, store_id)
    return Totals(amounts={name: _sum(rows, name, currency) for name in COLUMNS},
                  contribution=_sum(rows, "profit", currency), other_costs=other,
                  orders=_order_count(session, period, store_id),
                  fx_missing=other_fx_missing or any(r["fx_missing"] for r in rows))


def _money(value: Decimal | None, currency: str) -> str:
    return "–" if value is None else f"{value:,} {currency}"


def kpis(current: Totals, previous: Totals, currency: str) -> list[Kpi]:
    """The ten cards, in the order a merchant reads them, each with its change."""
    def amount(name: str, label: str, now: Decimal, then: Decimal, up_is_good: bool = True) -> Kpi:
        return Kpi(name, label, _money(now, currency), _money(then, currency), change_pct(now, then), "%",
                   up_is_good)

    margin_change = (None if current.margin is None or previous.margin is None
                     else (current.margin - previous.margin).quantize(Decimal("0.1")))
    avg_now, avg_then = current.average_order_profit(currency), previous.average_order_profit(currency)
    a, b = current.amounts, previous.amounts
    return [
        amount("revenue", "Revenue", a["revenue"], b["revenue"]),
        amount("net_profit", "Net profit", current.net_profit, previous.net_profit),
        Kpi("margin", "Margin", "–" if current.margin is None else f"{current.margin}%",
            "–" if previous.margin is None else f"{previous.margin}%", margin_change, "pp", True),
        Kpi("orders", "Orders", f"{current.orders:,}", f"{previous.orders:,}",
            change_pct(Decimal(current.orders), Decimal(previous.orders)), "%", True),
        Kpi("average_order_profit", "Average order profit", _money(avg_now, currency), _money(avg_then, currency),
            None if avg_now is None or avg_then is None else change_pct(avg_now, avg_then), "%", True),
        amount("refunds", "Refunds", a["refunds"], b["refunds"], False),
        amount("fees", "Fees", a["fees"], b["fees"], False),
        amount("supplier_cost", "Supplier cost", a["supplier_cost"], b["supplier_cost"], False),
        amount("shipping_cost", "Shipping", a["shipping_cost"], b["shipping_cost"], False),
        amount("other_costs", "Other costs", current.other_costs, previous.other_costs, False),
    ]


def period_rows(session: Session, period: Period, currency: str, store_id: int | None) -> list[dict[str, Any]]:
    bucket = period.bucket()
    return [r.view(currency) for r in profit_rows(session, period.start, period.end, bucket, currency, store_id)]


def table(session: Session, period: Period, group_by: str, currency: str, store_id: int | None,
          sort: str = "profit", descending: bool = True) -> list[dict[str, Any]]:
    """One breakdown, sorted on the server (numbers as numbers, keys as text; empty margins last)."""
    rows = [r.view(currency) for r in profit_rows(session, period.start, period.end, group_by, currency, store_id)]
    column = sort if sort in SORTABLE else "profit"
    if column == "key":
        rows.sort(key=lambda r: str(r.get("label") or r["key"] or "").lower(), reverse=descending)
        return rows
    present = [r for r in rows if r[column] is not None]
    present.sort(key=lambda r: Decimal(r[column]), reverse=descending)
    return present + [r for r in rows if r[column] is None]


def stores(db: Database) -> list[tuple[int, str, str]]:
    """(id, name, currency) of every store, for the filter and for naming the store rows."""
    with db.read() as session:
        return [(s.id, s.name, s.currency) for s in session.execute(select(Store).order_by(Store.id)).scalars()]


def overview_money(db: Database, today: date, currency: str) -> dict[str, Any]:
    """Today's and the last 30 days' revenue, profit and margin, and the 30 days' rows by day."""
    month = Period(date.fromordinal(today.toordinal() - 29), today)
    with db.read() as session:
        rows = day_rows(session, month, currency, None)
        return {"today": totals(session, Period(today, today), currency), "month": totals(session, month, currency),
                "days": rows, "period": month, "currency": currency}


def profit_csv(rows: list[dict[str, Any]]) -> str:
    """`hub report profit --format csv` and the page's downloads: one writer, so their bytes are equal."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
