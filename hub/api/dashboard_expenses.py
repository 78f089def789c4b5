"""The /expenses page: other costs listed, a one-off or recurring cost added, ad spend imported from CSV.

Forms post to the page's own routes: signed in, from our own pages (hub.api.csrf), errors
shown beside their field with the values entered kept. A refused form is answered 200 with its
errors (as most form frameworks do): a 4xx document would log a console error in the browser.
"""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from hub import __version__
from hub.api import session
from hub.api.dashboard import TEMPLATES
from hub.api.deps import HubDep
from hub.api.params import Id
from hub.bootstrap import Hub
from hub.db.models import Store
from hub.domain.expenses import KIND_WORDS, ONE_OFF, RECURRING, ExpenseError, validate
from hub.errors import UserError
from hub.services import expenses, kpis

router = APIRouter(include_in_schema=False)


def _stores(hub: Hub) -> list[dict[str, Any]]:
    with hub.db.read() as s:
        return [{"id": i, "name": n} for i, n in s.execute(select(Store.id, Store.name).order_by(Store.id)).all()]


def _month_costs(hub: Hub, today: date) -> dict[str, str]:
    currency = hub.settings.reporting_currency
    with hub.db.read() as s:
        days = kpis.other_costs_by_day(s, today.replace(day=1), today, currency)
    total = kpis.DayCosts(today)
    for day in days:
        total.ad_spend += day.ad_spend
        total.recurring += day.recurring
        total.one_off += day.one_off
        total.fx_missing |= day.fx_missing
    return total.view(currency)


def _render(request: Request, hub: Hub, **context: Any) -> Response:
    if not session.signed_in(request):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    today = datetime.now(UTC).date()
    form = {"kind": ONE_OFF, "name": "", "amount": "", "currency": hub.settings.reporting_currency,
            "date": today.isoformat(), "end": "", "store": ""}
    form.update(context.pop("form", {}))
    return TEMPLATES.TemplateResponse(request, "expenses.html", {
        "version": __version__, "rows": [r.as_dict() for r in expenses.list_expenses(hub.db, limit=500)],
        "kinds": KIND_WORDS, "stores": _stores(hub), "month": _month_costs(hub, today), "form": form,
        "errors": {}, "imported": None, **context})


@router.get("/expenses", response_class=HTMLResponse)
def page(request: Request, hub: HubDep) -> Response:
    return _render(request, hub)


def _refused(request: Request) -> bool:
    return not session.signed_in(request)  # cross-site posts never get here: hub.api.csrf


@router.post("/expenses")
def add(request: Request, hub: HubDep, kind: Annotated[str, Form()] = ONE_OFF, name: Annotated[str, Form()] = "",
        amount: Annotated[str, Form()] = "", currency: Annotated[str, Form()] = "",
        day: Annotated[str, Form(alias="date")] = "", end: Annotated[str, Form()] = "",
        store: Annotated[str, Form()] = "") -> Response:
    if _refused(request):
        return RedirectResponse("/login?next=/expenses", status_code=303)
    form = {"kind": kind, "name": name, "amount": amount, "currency": currency, "date": day, "end": end,
            "store": store}
    try:
        if kind not in (ONE_OFF, RECURRING):
            raise ExpenseError("kind", "choose a one-off or a recurring cost")
        item = validate(kind, day, amount, currency, name=name, store=store or None,
                        end_day=(end or None) if kind == RECURRING else None)
        expenses.record(hub.db, [item])
    except ExpenseError as exc:
        return _render(request, hub, form=form, errors={exc.field: exc.message})
    except UserError as exc:
        field, _, message = str(exc).partition(": ")
        return _render(request, hub, form=form, errors={field: message or str(exc)})
    return RedirectResponse("/expenses", status_code=303)


@router.post("/expenses/import")
async def import_csv(request: Request, hub: HubDep, file: Annotated[UploadFile | None, File()] = None) -> Response:
    if _refused(request):
        return RedirectResponse("/login?next=/expenses", status_code=303)
    if file is None or not file.filename:
        return _render(request, hub, errors={"file": "choose a CSV file to import"})
    data = await file.read(expenses.MAX_IMPORT_BYTES + 1)
    try:
        result = expenses.import_csv(hub.db, io.BytesIO(data))
    except UserError as exc:
        return _render(request, hub, errors={"file": str(exc)})
    return _render(request, hub, imported=result)  # good rows are stored; the bad ones are listed


@router.post("/expenses/{expense_id}/delete")
def delete(request: Request, hub: HubDep, expense_id: Id) -> Response:
    if _refused(request):
        return RedirectResponse("/login?next=/expenses", status_code=303)
    with contextlib.suppress(UserError):  # already gone: the list shows what is left
        expenses.delete_expense(hub.db, expense_id)
    return RedirectResponse("/expenses", status_code=303)
