"""/profit and its CSV downloads: KPIs against the previous period, the chart, the breakdowns.

Every number comes from `hub.services.profit` (through `profit_page`), the functions the API and
the CLI call, so the page equals `GET /api/v1/profit` and `hub report profit` to the cent.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from markupsafe import Markup

from hub.api import session
from hub.api.chart import chart_buckets, profit_chart
from hub.api.dashboard import _page
from hub.api.deps import HubDep
from hub.api.params import MAX_ID
from hub.domain.money import MoneyError, normalize_currency, quantize
from hub.domain.periods import PRESETS, Period, bucket_keys, preset
from hub.errors import UserError
from hub.services import profit as profit_service
from hub.services import profit_page

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)
FromParam = Annotated[str, Query(alias="from")]
ToParam = Annotated[str, Query(alias="to")]


def today() -> date:
    return datetime.now(UTC).date()


def bucket_days(key: str, group_by: str, period: Period) -> tuple[date, date]:
    """The days a chart bucket (day, ISO week or month key) covers, clipped to the period."""
    if group_by == "week":
        year, week = key.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        last = first + timedelta(days=6)
    elif group_by == "month":
        year, month = key.split("-")
        first = date(int(year), int(month), 1)
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        first = last = date.fromisoformat(key)
    return max(first, period.start), min(last, period.end)


def _store_id(store: str) -> int:
    if not store.isascii() or not store.isdigit() or not 0 < int(store) <= MAX_ID:
        raise UserError("store must be a store's number")
    return int(store)


def _query(date_from: str, date_to: str, range_preset: str, currency: str, store: str,
           reporting: str) -> tuple[Period, str, int | None]:
    """The page's filter as the report's query; every mistake is one sentence (UserError)."""
    if range_preset:
        if range_preset not in PRESETS:
            raise UserError(f"range must be one of {', '.join(PRESETS)}")
        period = preset(range_preset, today())
    elif date_from or date_to:
        start, end, _, _ = profit_service.parse_query(date_from, date_to, "day", None)
        period = Period(start, end)
    else:
        period = preset("last_30_days", today())
    try:
        code = normalize_currency(currency) if currency else reporting
    except MoneyError as exc:
        raise UserError(str(exc)) from None
    return period, code, _store_id(store) if store else None


@router.get("/profit", response_class=HTMLResponse)
def profit(request: Request, hub: HubDep, date_from: FromParam = "", date_to: ToParam = "",
           range_: Annotated[str, Query(alias="range")] = "", store: str = "", currency: str = "",
           table: str = "product", sort: str = "profit", direction: Annotated[str, Query(alias="dir")] = "desc",
           ) -> Response:
    stores = profit_page.stores(hub.db)
    reporting = hub.settings.reporting_currency
    currencies = sorted({reporting, *(c for _, _, c in stores)})
    base: dict[str, Any] = {"stores": stores, "currencies": currencies, "presets": PRESETS, "range": range_,
                            "urlencode": urlencode}
    try:
        period, code, store_id = _query(date_from, date_to, range_, currency, store, reporting)
    except UserError as exc:
        return _page(request, "profit.html", status_code=400, error=str(exc), date_from=date_from,
                     date_to=date_to, store=store, currency=currency, **base)
    table = table if table in profit_page.TABLES else "product"
    descending = direction != "asc"
    query = {"from": period.start.isoformat(), "to": period.end.isoformat(), "currency": code,
             **({"store": store_id} if store_id else {})}
    with hub.db.read() as session_:
        current = profit_page.totals(session_, period, code, store_id)
        previous = profit_page.totals(session_, period.previous(), code, store_id)
        periods = _with_other_costs(profit_page.period_rows(session_, period, code, store_id),
                                    profit_page.other_costs_per_bucket(session_, period, code, store_id), code)
        rows = profit_page.table(session_, period, table, code, store_id, sort, descending)
    names = {str(i): name for i, name, _ in stores}
    group = period.bucket()
    return _page(
        request, "profit.html", period=period, previous=period.previous(), currency=code, store_id=store_id,
        kpis=profit_page.kpis(current, previous, code), fx_missing=current.fx_missing,
        chart=Markup(profit_chart(chart_buckets(periods, bucket_keys(period)), code, chart_id="profit-chart")),  # noqa: S704 - escaped
        periods=periods, group=group, table=table, rows=rows[:profit_page.TABLE_LIMIT], total_rows=len(rows),
        sort=sort, descending=descending, columns=profit_page.SORTABLE, names=names, query=query,
        day_range=lambda key: bucket_days(key, group, period),
        date_from=period.start.isoformat(), date_to=period.end.isoformat(), store=store, **base)


def _with_other_costs(rows: list[dict[str, Any]], other: dict[str, Decimal], currency: str) -> list[dict[str, Any]]:
    """The chart's and the per-period table's rows: costs include other costs and profit is net of
    them, so the bars and the line add up to the Net profit card. A bucket with only other costs
    (no order) gets a row of its own."""
    by_key = {str(r["key"]): dict(r) for r in rows}
    for key in other:
        by_key.setdefault(key, {"key": key, "revenue": "0", "profit": "0", "margin": None})
    result = []
    for key in sorted(by_key):
        row = by_key[key]
        profit = quantize(Decimal(row["profit"]) - other.get(key, Decimal(0)), currency)
        revenue = Decimal(row["revenue"])
        row.update(profit=str(profit), costs=str(quantize(revenue - profit, currency)),
                   margin=str((profit / revenue * 100).quantize(Decimal("0.01"))) if revenue else None)
        result.append(row)
    return result


@router.get("/profit.csv")
def profit_csv(request: Request, hub: HubDep, date_from: FromParam = "", date_to: ToParam = "",
               group_by: str = "day", store: str = "", currency: str = "") -> Response:
    """The rows of one table as `hub report profit --format csv` writes them for the same query."""
    if not session.signed_in(request):
        return RedirectResponse("/login?next=/profit", status_code=303)
    try:
        rows = profit_service.profit(hub.db, date_from or None, date_to or None, group_by, currency or None,
                                     hub.settings.reporting_currency, store_id=_store_id(store) if store else None)
    except UserError as exc:
        return PlainTextResponse(f"{exc}\n", status_code=400)
    name = f"profit-by-{group_by}-{date_from}-to-{date_to}.csv"
    return Response(profit_page.profit_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
