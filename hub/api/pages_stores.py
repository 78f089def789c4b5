"""/stores and /stores/{id}: connected stores with their health; connect (token form, or the
Shopify install when the app is configured), disconnect, and each store's routing and pricing
rules, the pricing change previewed before it is saved.

Every form is validated by what the API uses (StoreIn, hub.services.stores and store_settings),
errors shown beside their field with what was typed kept; a refused form is answered 200 (a 4xx
document would log a console error in the browser). Saved forms redirect (303) to the page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hub.api import session
from hub.api.dashboard import render_page
from hub.api.deps import HubDep
from hub.api.errors import describe
from hub.api.params import MAX_ID
from hub.api.stores import StoreIn
from hub.bootstrap import Hub
from hub.errors import Conflict, NotFound, UserError
from hub.services import oauth, store_health, store_settings, stores
from hub.services.store_settings import ROUNDING_WORDS, STRATEGY_WORDS, SettingsError

router = APIRouter(include_in_schema=False)
SAVED = {"routing": "Routing rules saved.", "pricing": "Pricing rules saved: the next price push applies them.",
         "stock": "Days-of-cover warning saved.", "connected": "Store connected.",
         "disconnected": "Store disconnected. Its orders and settings are kept."}
Text = Annotated[str, Form()]


def _login(path: str) -> Response:
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _oauth_ready(hub: Hub) -> bool:
    return bool(hub.settings.shopify_client_id and hub.settings.shopify_client_secret)


def _list(request: Request, hub: Hub, **context: Any) -> Response:
    rows = stores.list_stores(hub.db)
    health = store_health.store_health(hub.db, datetime.now(UTC), [row["id"] for row in rows])
    form = {"shop": "", "webhook_secret": "", "currency": "", **context.pop("form", {})}
    return render_page(request, "stores.html", stores=rows, health=health, form=form,
                       oauth_ready=_oauth_ready(hub), install=context.pop("install", {"shop": ""}),
                       saved=SAVED.get(request.query_params.get("saved", "")), **context)


@router.get("/stores", response_class=HTMLResponse)
def stores_page(request: Request, hub: HubDep) -> Response:
    return _list(request, hub)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for error in exc.errors():
        field, _, reason = describe(error).partition(": ")
        found.setdefault(field, reason)
    return found


def _service_field(message: str) -> str:
    """Which form field a service's refusal is about (its sentence says it)."""
    lowered = message.lower()
    if "token" in lowered:
        return "token"
    if "currency" in lowered:
        return "currency"
    return "shop"


@router.post("/stores")
def connect(request: Request, hub: HubDep, shop: Text = "", token: Text = "", webhook_secret: Text = "",
            currency: Text = "") -> Response:
    if not session.signed_in(request):
        return _login("/stores")
    form = {"shop": shop.strip(), "webhook_secret": "", "currency": currency.strip()}  # secrets never echoed
    try:
        body = StoreIn(shop=shop.strip(), token=token.strip(), webhook_secret=webhook_secret.strip() or None,
                       currency=currency.strip() or None)
    except ValidationError as exc:
        return _list(request, hub, form=form, errors=_field_errors(exc))
    try:
        view = stores.add_shopify_store(hub, stores.NewShopifyStore(
            shop=body.shop, token=body.token.get_secret_value(),
            webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
            currency=body.currency))
    except Conflict as exc:
        return _list(request, hub, form=form, errors={"shop": str(exc)})
    except UserError as exc:
        return _list(request, hub, form=form, errors={_service_field(str(exc)): str(exc)})
    return RedirectResponse(f"/stores/{view['id']}?saved=connected", status_code=303)


@router.post("/stores/install")
def install(request: Request, hub: HubDep, install_shop: Text = "") -> Response:
    """Start the Shopify OAuth install as GET /shopify/install does, with the domain checked here."""
    if not session.signed_in(request):
        return _login("/stores")
    try:
        url, state = oauth.start_install(hub, install_shop.strip())
    except UserError as exc:
        return _list(request, hub, install={"shop": install_shop.strip()}, errors={"install_shop": str(exc)})
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(oauth.STATE_COOKIE, state, max_age=oauth.STATE_TTL_SECONDS, httponly=True,
                        samesite="lax", secure=hub.settings.public_url.startswith("https://"))
    return response


def _store_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


def _store(hub: Hub, text: str) -> dict[str, Any] | None:
    store_id = _store_id(text)
    if store_id is None:
        return None
    try:
        return stores.get_store(hub.db, store_id)
    except NotFound:
        return None


def _detail(request: Request, hub: Hub, store: dict[str, Any], **context: Any) -> Response:
    rules = store_settings.current(hub.db, store["id"])
    routing = {**rules.routing, **{k: v or "" for k, v in rules.routing.items() if k.endswith(("_cost", "_extra"))},
               **context.pop("routing", {})}
    pricing = {**rules.pricing, "pricing_on": rules.pricing_on, **context.pop("pricing", {})}
    stock = {"stock_cover_days": str(rules.stock_cover_days), **context.pop("stock", {})}
    health = store_health.store_health(hub.db, datetime.now(UTC), [store["id"]])[store["id"]]
    return render_page(request, "store.html", store=store, health=health, routing=routing, pricing=pricing,
                       stock=stock, strategies=list(STRATEGY_WORDS.items()),
                       roundings=list(ROUNDING_WORDS.items()), listings=store_settings.active_listings(
                           hub.db, store["id"]), confirm=request.query_params.get("confirm") == "disconnect",
                       saved=SAVED.get(request.query_params.get("saved", "")), **context)


def _missing(request: Request, store_id: str) -> Response:
    return render_page(request, "missing.html", status_code=404, what=f"store {store_id[:40]}")


@router.get("/stores/{store_id}", response_class=HTMLResponse)
def store_page(request: Request, hub: HubDep, store_id: str) -> Response:
    store = _store(hub, store_id)
    return _missing(request, store_id) if store is None else _detail(request, hub, store)


def _post_target(request: Request, hub: Hub, store_id: str) -> tuple[dict[str, Any] | None, Response | None]:
    """The store a form posts to, or the response to give instead (sign-in, or not found)."""
    if not session.signed_in(request):
        return None, _login(f"/stores/{store_id}")
    store = _store(hub, store_id)
    return (store, None) if store is not None else (None, _missing(request, store_id))


def _checked(value: str | None) -> bool:
    return value not in (None, "", "off", "false")


@router.post("/stores/{store_id}/routing")
def save_routing(request: Request, hub: HubDep, store_id: str, strategy: Text = "", max_unit_cost: Text = "",
                 consolidate_max_extra: Text = "", margin_guard: Annotated[str | None, Form()] = None,
                 prefer_scorecard: Annotated[str | None, Form()] = None) -> Response:
    store, refused = _post_target(request, hub, store_id)
    if store is None:
        return refused or _missing(request, store_id)
    values = {"strategy": strategy, "max_unit_cost": max_unit_cost, "consolidate_max_extra": consolidate_max_extra,
              "margin_guard": _checked(margin_guard), "prefer_scorecard": _checked(prefer_scorecard)}
    try:
        store_settings.save(hub.db, store["id"], routing=values)
    except SettingsError as exc:
        return _detail(request, hub, store, routing=values, errors={exc.field: exc.message})
    return RedirectResponse(f"/stores/{store['id']}?saved=routing#routing", status_code=303)


@router.post("/stores/{store_id}/pricing")
def save_pricing(request: Request, hub: HubDep, store_id: str, markup_percent: Text = "", rounding: Text = "",
                 min_margin_percent: Text = "", tolerance_percent: Text = "",
                 pricing_on: Annotated[str | None, Form()] = None, action: Text = "preview") -> Response:
    store, refused = _post_target(request, hub, store_id)
    if store is None:
        return refused or _missing(request, store_id)
    values = {"markup_percent": markup_percent.strip(), "rounding": rounding,
              "min_margin_percent": min_margin_percent.strip(), "tolerance_percent": tolerance_percent.strip()}
    typed = {**values, "pricing_on": _checked(pricing_on)}
    rules = values if _checked(pricing_on) else None
    try:
        if action == "save":
            store_settings.save(hub.db, store["id"], pricing=rules, pricing_off=rules is None)
            return RedirectResponse(f"/stores/{store['id']}?saved=pricing#pricing", status_code=303)
        preview = store_settings.preview_pricing(hub, store["id"], rules)
    except SettingsError as exc:
        return _detail(request, hub, store, pricing=typed, errors={exc.field: exc.message})
    return _detail(request, hub, store, pricing=typed, preview=preview)


@router.post("/stores/{store_id}/stock")
def save_stock(request: Request, hub: HubDep, store_id: str, stock_cover_days: Text = "") -> Response:
    store, refused = _post_target(request, hub, store_id)
    if store is None:
        return refused or _missing(request, store_id)
    try:
        store_settings.save(hub.db, store["id"], stock_cover_days=stock_cover_days)
    except SettingsError as exc:
        return _detail(request, hub, store, stock={"stock_cover_days": stock_cover_days},
                       errors={exc.field: exc.message})
    return RedirectResponse(f"/stores/{store['id']}?saved=stock#stock", status_code=303)


@router.post("/stores/{store_id}/disconnect")
def disconnect(request: Request, hub: HubDep, store_id: str) -> Response:
    store, refused = _post_target(request, hub, store_id)
    if store is None:
        return refused or _missing(request, store_id)
    try:
        stores.disconnect_store(hub.db, store["id"])
    except NotFound:
        return _missing(request, store_id)
    return RedirectResponse(f"/stores/{store['id']}?saved=disconnected", status_code=303)
