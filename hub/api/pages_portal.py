"""The supplier portal (/supplier): a supplier signs in with its API key and ships its orders.

Its own session (hub.api.portal_session), its own base template (no admin navigation), and its
own door in the sign-in limiter ("supplier:<address>"). Every page re-reads the session's key, so
a revoked key or an expired cookie lands on the sign-in page. Rows named in a URL or a form are
looked up within the session's supplier only: anything else is the same 404 page as an id that
does not exist. Tracking and feeds go through the same services as the supplier API, so a store
fulfillment follows through the outbox as usual. Forms follow the admin pages' pattern: PRG after
success, a refused form re-rendered (status 200) with its errors beside the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hub import __version__
from hub.api import portal_session
from hub.api.dashboard import TEMPLATES, client_address
from hub.api.deps import HubDep
from hub.api.params import MAX_ID
from hub.api.signin_limit import AttemptLimiter, wait_words
from hub.api.supplier_shipments import ShipmentBody
from hub.bootstrap import Hub
from hub.domain.money import format_amount
from hub.errors import UserError
from hub.services import feed_runs, portal
from hub.services.feeds import import_feed
from hub.services.portal import FEEDS, ORDERS, SCORECARD, TRACKING, PortalOwner

router = APIRouter(include_in_schema=False)
HOME, LOGIN = "/supplier", "/supplier/login"
MAX_TRACKING_FILE = 5 * 1024 * 1024
FLASHES = {"tracking": "Tracking saved: the store is told through the hub.",
           "known": "That tracking number was already recorded for this order: nothing changed."}


def _html(request: Request, template: str, owner: PortalOwner | None, status_code: int = 200,
          headers: dict[str, str] | None = None, **context: Any) -> Response:
    response = TEMPLATES.TemplateResponse(request, template, {
        "version": __version__, "owner": owner, "errors": {}, "form": {}, **context},
        status_code=status_code, headers=headers)
    response.headers["Cache-Control"] = "no-store"  # a supplier's orders stay off shared caches
    return response


def _signed_out(request: Request) -> Response:
    response = RedirectResponse(f"{LOGIN}?next={request.url.path}" if request.method == "GET" else LOGIN,
                                status_code=303)
    if request.cookies.get(portal_session.COOKIE):
        portal_session.clear_cookie(response)  # expired, forged or its key revoked: forget it
    return response


def _missing(request: Request, owner: PortalOwner) -> Response:
    """The one answer for what this supplier may not see or does not have: ids are not probed."""
    return _html(request, "portal_missing.html", owner, status_code=404)


def _gate(request: Request, scope: str) -> PortalOwner | Response:
    """The signed-in supplier allowed `scope`, or the answer instead: sign in again, or the 404."""
    owner = portal_session.owner(request)
    if owner is None:
        return _signed_out(request)
    return owner if owner.may(scope) else _missing(request, owner)


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def _target(next_path: str) -> str:
    """Where to go after signing in: a portal page only (never an admin page, never another site)."""
    return next_path if next_path == HOME or (next_path.startswith(f"{HOME}/") and "\\" not in next_path) else HOME


@router.get(LOGIN, response_class=HTMLResponse)
def login_form(request: Request, next: str = HOME) -> Response:
    if portal_session.owner(request) is not None:
        return RedirectResponse(_target(next), status_code=303)
    return _html(request, "portal_login.html", None, next=_target(next), error=None)


@router.post(LOGIN)
def login(request: Request, hub: HubDep, key: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = HOME) -> Response:
    target = _target(next)
    limiter: AttemptLimiter = request.app.state.signin_limiter
    address = f"supplier:{client_address(request)}"
    wait = limiter.blocked_for(address)
    if wait:
        return _html(request, "portal_login.html", None, status_code=429, headers={"Retry-After": str(wait)},
                     next=target, error=wait_words(wait))
    owner = portal.sign_in(hub.db, key) if len(key) <= 200 else None
    if owner is None:
        limiter.failed(address)
        return _html(request, "portal_login.html", None, status_code=401, next=target,
                     error="That key is not a valid supplier key (or it was revoked).")
    limiter.succeeded(address)
    response = RedirectResponse(target, status_code=303)
    portal_session.set_cookie(response, request, portal_session.issue(hub, owner))
    return response


@router.post("/supplier/logout")
def logout() -> Response:
    response = RedirectResponse(LOGIN, status_code=303)
    portal_session.clear_cookie(response)
    return response


def _orders_page(request: Request, hub: Hub, owner: PortalOwner, status_code: int = 200, **context: Any) -> Response:
    if not owner.may(ORDERS):
        return _missing(request, owner)
    return _html(request, "portal_orders.html", owner, status_code=status_code,
                 orders=portal.orders_of(hub.db, owner.supplier_id),
                 shipped=portal.orders_of(hub.db, owner.supplier_id, states=portal.DONE_STATES, limit=20),
                 flash=FLASHES.get(request.query_params.get("done", "")), **context)


@router.get(HOME, response_class=HTMLResponse)
def orders(request: Request, hub: HubDep) -> Response:
    owner = portal_session.owner(request)
    if owner is None:
        return _signed_out(request)
    if not owner.may(ORDERS) and owner.may(FEEDS):
        return RedirectResponse("/supplier/feeds", status_code=303)
    return _orders_page(request, hub, owner)


def _tracking_errors(reference: str, carrier: str, number: str, url: str) -> dict[str, str]:
    """The supplier API's rules for a parcel (its pydantic model), as sentences beside the fields."""
    names = {"carrier": "carrier", "tracking_number": "number", "tracking_url": "url"}
    try:
        ShipmentBody(reference=reference, carrier=carrier or None, tracking_number=number, tracking_url=url or None)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = names.get(str(error["loc"][0]), "_form") if error["loc"] else "_form"
            errors.setdefault(field, "is required" if field == "number" and not number else error["msg"])
        return errors
    return {}


@router.post("/supplier/orders/{order_id}/tracking")
def submit_tracking(request: Request, hub: HubDep, order_id: str, carrier: Annotated[str, Form()] = "",
                    number: Annotated[str, Form()] = "", url: Annotated[str, Form()] = "") -> Response:
    owner = _gate(request, TRACKING)
    if isinstance(owner, Response):
        return owner
    supplier_order_id = _number(order_id)
    if supplier_order_id is None:
        return _missing(request, owner)
    try:
        order = portal.open_order(hub.db, owner.supplier_id, supplier_order_id)
    except UserError:
        return _missing(request, owner)
    carrier, number, url = carrier.strip(), number.strip(), url.strip()
    form = {"order": supplier_order_id, "carrier": carrier, "number": number, "url": url}
    errors = _tracking_errors(order.reference, carrier, number, url)
    if not errors:
        try:
            created = portal.submit_tracking(hub, owner, supplier_order_id, carrier=carrier, number=number, url=url)
        except UserError as exc:
            errors = {"_form": str(exc)}
        else:
            return RedirectResponse(f"{HOME}?done={'tracking' if created else 'known'}#shipped", status_code=303)
    return _orders_page(request, hub, owner, form=form, errors=errors, error_order=supplier_order_id)


@router.post("/supplier/tracking")
async def import_tracking(request: Request, hub: HubDep, file: Annotated[UploadFile | None, File()] = None) -> Response:
    owner = _gate(request, TRACKING)
    if isinstance(owner, Response):
        return owner
    if file is None or not file.filename:
        return _orders_page(request, hub, owner, errors={"file": "choose a CSV file of tracking numbers"})
    content = await file.read(MAX_TRACKING_FILE + 1)
    if len(content) > MAX_TRACKING_FILE:
        return _orders_page(request, hub, owner, errors={"file": "the file is larger than 5 MB: split it"})
    result = portal.import_tracking(hub, owner, content)
    return _orders_page(request, hub, owner, imported=result)


def _feeds_page(request: Request, hub: Hub, owner: PortalOwner, **context: Any) -> Response:
    return _html(request, "portal_feeds.html", owner, runs=feed_runs.list_runs(hub.db, owner.supplier_code, limit=30),
                 **context)


@router.get("/supplier/feeds", response_class=HTMLResponse)
def feeds(request: Request, hub: HubDep) -> Response:
    owner = _gate(request, FEEDS)
    return owner if isinstance(owner, Response) else _feeds_page(request, hub, owner)


@router.post("/supplier/feeds")
def upload_feed(request: Request, hub: HubDep, file: Annotated[UploadFile | None, File()] = None,
                mode: Annotated[str, Form()] = "full") -> Response:
    owner = _gate(request, FEEDS)
    if isinstance(owner, Response):
        return owner
    form = {"mode": mode}
    if mode not in ("full", "delta"):
        return _feeds_page(request, hub, owner, form=form, errors={"mode": "choose a full or a partial feed"})
    if file is None or not file.filename:
        return _feeds_page(request, hub, owner, form=form, errors={"file": "choose a feed file to upload"})
    try:  # the same import as POST /api/v1/suppliers/{code}/feed (source "push"); never forced
        summary = import_feed(hub, owner.supplier_code, file.file, mode=mode, fmt="auto", source="push")
    except UserError as exc:
        return _feeds_page(request, hub, owner, form=form, errors={"file": str(exc)})
    return RedirectResponse(f"/supplier/feeds/{summary.feed_run_id}", status_code=303)


@router.get("/supplier/feeds/{run_id}", response_class=HTMLResponse)
def feed_run(request: Request, hub: HubDep, run_id: str, page: str = "1") -> Response:
    owner = _gate(request, FEEDS)
    if isinstance(owner, Response):
        return owner
    number = _number(run_id)
    if number is None:
        return _missing(request, owner)
    page_number = min(_number(page) or 1, 100_000)
    try:
        run, rejects, total = feed_runs.get_run(hub.db, number, code=owner.supplier_code,
                                                offset=(page_number - 1) * 100, limit=100)
    except UserError:
        return _missing(request, owner)
    return _html(request, "portal_run.html", owner, run=run, rejects=rejects, total=total, page=page_number,
                 pages=max(1, (total + 99) // 100))


@router.get("/supplier/scorecard", response_class=HTMLResponse)
def scorecard(request: Request, hub: HubDep, days: str = "30") -> Response:
    owner = _gate(request, SCORECARD)
    if isinstance(owner, Response):
        return owner
    period = int(days) if days in {str(d) for d in portal.SCORECARD_PERIODS} else 30
    card = portal.scorecard(hub.db, owner.supplier_id, period)
    costs = [f"{format_amount(amount, currency)} {currency}" for currency, amount in sorted(card.cost.items())]
    return _html(request, "portal_scorecard.html", owner, card=card, costs=costs, days=period,
                 periods=portal.SCORECARD_PERIODS)
