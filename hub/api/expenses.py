"""/api/v1/expenses (other costs) and /api/v1/profit/summary (the period's KPIs), admin token."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import HubDep, require_admin
from hub.api.errors import ApiError, responses
from hub.api.params import CURRENCY, DAY, Amount, Id, IdFilter, Text
from hub.domain.expenses import NAME_LENGTH, PLATFORM_LENGTH, ExpenseError, ExpenseIn, validate
from hub.errors import UserError
from hub.services import expenses, kpis
from hub.services import profit as profit_service

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_admin)], responses=responses(401, 422))
Kind = Literal["ad_spend", "one_off", "recurring"]  # = hub.domain.expenses.KINDS (tested)


class ExpenseItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind = Field(description="ad_spend (per day), one_off, or recurring (per calendar month)")
    date: str = Field(pattern=DAY, description="the day of the spend or cost; a recurring cost's first day")
    end: str | None = Field(default=None, pattern=DAY, description="a recurring cost's last day (none: ongoing)")
    amount: Amount = Field(description="in `currency`, at most its decimals: per day, once, or per month")
    currency: str = Field(pattern=CURRENCY)
    platform: Text = Field(default="", max_length=PLATFORM_LENGTH, description="ad platform (ad spend)")
    campaign: Text = Field(default="", max_length=NAME_LENGTH, description="ad campaign (ad spend)")
    name: Text = Field(default="", max_length=NAME_LENGTH, description="what a one-off or recurring cost is")
    store: Annotated[int | Text | None, Field(description="store id or name; none: all stores")] = None


class ExpensesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expenses: list[ExpenseItem] = Field(min_length=1, max_length=1000)


def _validated(items: list[ExpenseItem]) -> list[ExpenseIn]:
    out = []
    for index, item in enumerate(items):
        try:
            out.append(validate(item.kind, item.date, item.amount, item.currency,
                                name=item.campaign or item.name if item.kind == "ad_spend" else item.name,
                                platform=item.platform, store=None if item.store is None else str(item.store),
                                end_day=item.end))
        except ExpenseError as exc:
            raise ApiError(422, f"expenses[{index}].{exc.field}: {exc.message}", "invalid") from None
    return out


@router.post("/expenses", tags=["expenses"], status_code=201, responses=responses(413, 415))
def add_expenses(body: ExpensesIn, hub: HubDep) -> dict[str, Any]:
    """Record one or many costs, all or none; the same (kind, day, store, currency, platform,
    campaign or name) again updates the amount instead of adding a second cost."""
    try:
        views = expenses.record(hub.db, _validated(body.expenses), indexed=True)
    except UserError as exc:
        raise ApiError(422, str(exc), "invalid") from exc
    return {"expenses": [view.as_dict() for view in views]}


def _day(text: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ApiError(422, f"{name}: {text!r} is not a real day", "invalid") from None


@router.get("/expenses", tags=["expenses"])
def list_expenses(
    hub: HubDep,
    kind: Annotated[Kind | None, Query(description="only this kind")] = None,
    store: Annotated[IdFilter, Query(description="only the costs of this store")] = None,
    date_from: Annotated[str | None, Query(alias="from", pattern=DAY)] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DAY)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """Costs newest first; with from/to, those of the range (recurring costs active in it)."""
    rows = expenses.list_expenses(hub.db, kind=kind, store_id=store, start=_day(date_from, "from"),
                                  end=_day(date_to, "to"), limit=limit)
    return {"expenses": [row.as_dict() for row in rows]}


@router.delete("/expenses/{expense_id}", tags=["expenses"], responses=responses(404))
def delete_expense(expense_id: Id, hub: HubDep) -> dict[str, Any]:
    expenses.delete_expense(hub.db, expense_id)
    return {"id": expense_id, "deleted": True}


@router.get("/profit/summary", tags=["money"])
def profit_summary(
    hub: HubDep,
    date_from: Annotated[str | None, Query(alias="from", pattern=DAY, description="first day, YYYY-MM-DD (UTC)")
                         ] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DAY, description="last day, inclusive")] = None,
    store: Annotated[IdFilter, Query(description="store id; none: all stores")] = None,
    currency: Annotated[str | None, Query(pattern=CURRENCY, description="default the reporting currency")] = None,
) -> dict[str, Any]:
    """The period's KPIs (revenue to net profit, other costs, ROAS) as decimal strings, the previous
    period of the same length, and the change of each figure (absolute and %)."""
    try:
        start, end, _, code = profit_service.parse_query(date_from, date_to, "day", currency)
    except UserError as exc:
        raise ApiError(422, str(exc), "invalid") from exc
    target = code or hub.settings.reporting_currency
    with hub.db.read() as session:
        result = kpis.compare(session, start, end, target, store)
    return {"from": start.isoformat(), "to": end.isoformat(), "currency": target, "store_id": store,
            **result.view()}

