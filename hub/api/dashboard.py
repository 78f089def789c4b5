"""The dashboard: server-rendered pages for the people who run the shop. Sign-in with the admin token."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from hub import __version__
from hub.api import session
from hub.api.chart import chart_buckets, profit_chart
from hub.api.deps import HubDep
from hub.api.params import MAX_ID
from hub.api.signin_limit import AttemptLimiter, wait_words
from hub.crypto import tokens_equal
from hub.domain.lifecycle import LABELS, LIFECYCLES
from hub.domain.periods import bucket_keys
from hub.errors import NotFound, UserError
from hub.services import attention_view, overview, profit_page
from hub.services import orders as order_service

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["lifecycle"] = lambda value: LABELS.get(value, value)  # words, not codes
router = APIRouter(include_in_schema=False)


def render_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """An admin page, or the sign-in page (coming back here after) for a visitor not signed in."""
    if not session.signed_in(request):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return TEMPLATES.TemplateResponse(request, template, {"version": __version__, "errors": {}, **context},
                                      status_code=status_code)


_page = render_page


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def not_found_page(request: Request) -> Response:
    """The page for an unknown address, signed in or not: it says what was asked and where to go."""
    return TEMPLATES.TemplateResponse(request, "missing.html",
                                      {"version": __version__, "what": f"page at {request.url.path[:80]}"},
                                      status_code=404)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", error: str | None = None) -> Response:
    return TEMPLATES.TemplateResponse(request, "login.html", {"version": __version__, "next": next, "error": error})


@router.post("/login")
def login(request: Request, hub: HubDep, token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    limiter: AttemptLimiter = request.app.state.signin_limiter
    address = f"admin:{client_address(request)}"
    wait = limiter.blocked_for(address)
    if wait:
        return TEMPLATES.TemplateResponse(request, "login.html", {
            "version": __version__, "next": target, "error": wait_words(wait)}, status_code=429,
            headers={"Retry-After": str(wait)})
    if not tokens_equal(token.strip(), hub.settings.admin_token_value()):
        limiter.failed(address)
        return TEMPLATES.TemplateResponse(request, "login.html", {
            "version": __version__, "next": target, "error": "That is not the admin token."}, status_code=401)
    limiter.succeeded(address)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(session.COOKIE, session.issue(hub), max_age=session.LIFETIME_SECONDS, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(session.COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, hub: HubDep) -> Response:
    if not session.signed_in(request):
        return _page(request, "overview.html")
    money = profit_page.overview_money(hub.db, datetime.now(UTC).date(), hub.settings.reporting_currency)
    buckets = chart_buckets(money["days"], bucket_keys(money["period"]))
    chart = profit_chart(buckets, money["currency"], chart_id="overview-chart")
    return _page(request, "overview.html", data=overview.overview(hub.db), money=money,
                 chart=Markup(chart))  # noqa: S704 - profit_chart escapes every text it draws


@router.get("/orders", response_class=HTMLResponse)
def orders(request: Request, hub: HubDep, q: str | None = None, status: str | None = None,
           cursor: str | None = None, lifecycle: str | None = None,
           date_from: Annotated[str, Query(alias="from")] = "", date_to: Annotated[str, Query(alias="to")] = "",
           sku: str = "") -> Response:
    # The profit page links a day (from/to) and a product (sku) here; a bad date is said, not a 500.
    placed, error = placed_range(date_from, date_to)
    try:
        rows, next_cursor = order_service.list_orders(hub.db, status=status or None, q=q or None, limit=50,
                                                      cursor=cursor or None, lifecycle=lifecycle or None,
                                                      placed=placed, sku=sku or None)
    except UserError as exc:
        rows, next_cursor, error = [], None, error or str(exc)
    return _page(request, "orders.html", orders=rows, next_cursor=next_cursor, q=q or "", status=status or "",
                 lifecycle=lifecycle or "", lifecycles=LIFECYCLES, date_from=date_from, date_to=date_to, sku=sku,
                 error=error)


def placed_range(date_from: str, date_to: str) -> tuple[tuple[date, date] | None, str | None]:
    """The orders page's day filter: both days or one (then it is the only day), else an error sentence."""
    if not date_from and not date_to:
        return None, None
    try:
        first = date.fromisoformat(date_from or date_to)
        last = date.fromisoformat(date_to or date_from)
    except ValueError:
        return None, "Dates are written YYYY-MM-DD."
    if last < first:
        return None, "The last day is before the first."
    return (first, last), None


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order(request: Request, hub: HubDep, order_id: str) -> Response:
    # Whatever was typed in the address bar: a friendly 404 page, never a JSON 422 or a 500.
    number = int(order_id) if order_id.isascii() and order_id.isdigit() and 0 < int(order_id) <= MAX_ID else None
    try:
        if number is None:
            raise NotFound(f"order {order_id} not found")
        detail = order_service.get_order(hub.db, number, hub.settings.reporting_currency)
    except UserError:
        return _page(request, "missing.html", status_code=404, what=f"order {order_id[:40]}")
    return _page(request, "order.html", order=detail, supplier_orders=overview.supplier_orders_of(hub.db, number),
                 attention_items=attention_view.open_for_order(hub, number))
