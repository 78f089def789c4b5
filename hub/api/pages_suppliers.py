"""/suppliers and /suppliers/{code}: the suppliers with their scorecards, a supplier's keys and feed runs.

Every figure comes from the services the API and the CLI use (`hub.services.scorecards`,
`suppliers`, `feed_runs`): a page never computes its own numbers. Forms validate with the API's
own model (`SupplierIn`) and services, and a refused form comes back 200 with the error beside
its field and the typed values kept (a 4xx page would log a console error in the browser). A new
key is shown once, in the answer to the form that created it, and never again. Feed uploads,
suspect runs and purchase orders live in `pages_supplier_feeds` (included by this router), the
supplier page's reading in `supplier_views`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hub.api import session
from hub.api.dashboard import not_found_page, render_page
from hub.api.deps import HubDep
from hub.api.pages_supplier_feeds import router as feeds_router
from hub.api.supplier_views import DEFAULT_DAYS, KIND_WORDS, PERIODS, period_days, scorecard_rows, supplier_page
from hub.api.suppliers import SupplierIn
from hub.bootstrap import Hub
from hub.errors import Conflict, NotFound, UserError
from hub.services import suppliers

router = APIRouter(include_in_schema=False)
router.include_router(feeds_router)

# The API model's fields → the sentence a person reads when one is refused.
FIELD_RULES = {
    "code": f"use {suppliers.CODE_RULE}",
    "name": "give the supplier a name (at most 255 characters)",
    "currency": "use a three-letter ISO 4217 code such as USD, EUR or CZK",
    "kind": "choose one of the kinds listed",
    "feed_url": "at most 2,000 characters, starting with https://",
    "mapping": 'a JSON object of field → column name, e.g. {"sku": "Item"}',
}
NEW_SUPPLIER = {"code": "", "name": "", "currency": "USD", "kind": "feed", "feed_url": "", "mapping": ""}


def _login(path: str) -> Response:
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _list(request: Request, hub: Hub, days: int, **context: Any) -> Response:
    form = {**NEW_SUPPLIER, **context.pop("form", {})}
    listed = {s.code: s for s in suppliers.list_suppliers(hub.db)}
    rows = [{**row, "kind": listed[row["code"]].kind, "active": listed[row["code"]].active}
            for row in scorecard_rows(hub, days) if row["code"] in listed]
    return render_page(request, "suppliers.html", rows=rows, days=days, periods=PERIODS, form=form,
                       kinds=[(kind, KIND_WORDS.get(kind, kind)) for kind in suppliers.KINDS], **context)


@router.get("/suppliers", response_class=HTMLResponse)
def suppliers_page(request: Request, hub: HubDep, days: str | None = None) -> Response:
    return _list(request, hub, period_days(days))


def _refusals(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error.get("loc") else "_form"
        errors.setdefault(field, FIELD_RULES.get(field, str(error.get("msg", "not accepted"))))
    return errors


def _field_of(message: str) -> str:
    """Which field a service's sentence is about (the services speak in sentences, not fields)."""
    lowered = message.lower()
    for needle, field in (("code", "code"), ("name", "name"), ("currency", "currency"), ("kind", "kind"),
                          ("feed url", "feed_url"), ("mapping", "mapping")):
        if needle in lowered:
            return field
    return "_form"


@router.post("/suppliers")
def add_supplier(request: Request, hub: HubDep, code: Annotated[str, Form()] = "",
                 name: Annotated[str, Form()] = "", currency: Annotated[str, Form()] = "",
                 kind: Annotated[str, Form()] = "feed", feed_url: Annotated[str, Form()] = "",
                 mapping: Annotated[str, Form()] = "") -> Response:
    if not session.signed_in(request):
        return _login("/suppliers")
    form = {"code": code, "name": name, "currency": currency, "kind": kind, "feed_url": feed_url,
            "mapping": mapping}
    try:
        parsed_mapping = suppliers.parse_mapping(mapping) if mapping.strip() else None
    except UserError as exc:
        return _list(request, hub, DEFAULT_DAYS, form=form, errors={"mapping": str(exc)})
    try:
        body = SupplierIn(code=code.strip(), name=name, currency=currency.strip(), kind=kind,
                          feed_url=feed_url.strip() or None, mapping=parsed_mapping)
    except ValidationError as exc:
        return _list(request, hub, DEFAULT_DAYS, form=form, errors=_refusals(exc))
    try:
        view = suppliers.add_supplier(hub.db, body.code, body.name, body.currency, kind=body.kind,
                                      feed_url=body.feed_url, mapping=body.mapping,
                                      guard=suppliers.url_guard(hub))
    except Conflict as exc:
        return _list(request, hub, DEFAULT_DAYS, form=form, errors={"code": str(exc)})
    except UserError as exc:
        return _list(request, hub, DEFAULT_DAYS, form=form, errors={_field_of(str(exc)): str(exc)})
    return RedirectResponse(f"/suppliers/{view.code}?note=added", status_code=303)


@router.get("/suppliers/{code}", response_class=HTMLResponse)
def supplier(request: Request, hub: HubDep, code: str, days: str | None = None,
             note: str | None = None) -> Response:
    if not session.signed_in(request):
        return _login(f"/suppliers/{code}")
    return supplier_page(request, hub, code, days=period_days(days), note=note)


@router.post("/suppliers/{code}/keys")
def create_key(request: Request, hub: HubDep, code: str, label: Annotated[str, Form()] = "") -> Response:
    if not session.signed_in(request):
        return _login(f"/suppliers/{code}")
    if len(label) > 255:
        return supplier_page(request, hub, code, errors={"label": "at most 255 characters"},
                             key_form={"label": label})
    try:
        view, secret = suppliers.create_key(hub.db, code, label or None)
    except NotFound:
        return not_found_page(request)
    # Shown in this answer only, which no cache keeps: the page that follows has no copy of it.
    answer = supplier_page(request, hub, code, new_key={"view": view, "secret": secret})
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/suppliers/{code}/keys/{key_id}/revoke")
def revoke_key(request: Request, hub: HubDep, code: str, key_id: int) -> Response:
    if not session.signed_in(request):
        return _login(f"/suppliers/{code}")
    try:
        suppliers.revoke_key(hub.db, key_id, code=code)
    except NotFound:
        return not_found_page(request)
    return RedirectResponse(f"/suppliers/{code}?note=revoked#keys", status_code=303)
