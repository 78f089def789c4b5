"""/catalogue: store listings with their mapping (unmapped first), offers per supplier, prices waiting.

Mapping from the page validates with the API's own model (`hub.api.mappings.OfferChoice`) and
service (`listings.map_listing`), so a form refuses exactly what the API refuses, beside the field.
Approving a price goes through `store_sync.approve_price`: the push runs from the outbox after
commit, and the page says "pushed" once the store has the price.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hub.api import session
from hub.api.dashboard import render_page
from hub.api.deps import HubDep
from hub.api.mappings import OfferChoice
from hub.api.params import MAX_ID, Id
from hub.bootstrap import Hub
from hub.errors import UserError
from hub.services import catalogue, listings, stock_cover, store_sync

router = APIRouter(include_in_schema=False)

FLASH = {"mapped": "Mapped.", "removed": "Mapping removed.",
         "approved": "Approved: the price is being pushed.", "rejected": "Rejected: the store keeps its price.",
         "approved-all": "All approved: the prices are being pushed.",
         "rejected-all": "All rejected: the stores keep their prices."}


def _refused(request: Request, back: str) -> Response | None:
    if not session.signed_in(request):  # cross-site posts never get here: hub.api.csrf
        return RedirectResponse(f"/login?next={back}", status_code=303)
    return None


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


@router.get("/catalogue", response_class=HTMLResponse)
def listings_page(request: Request, hub: HubDep, store: str = "", q: str = "", status: str = "all",
                  cursor: str = "", done: str = "") -> Response:
    store_id = _number(store)
    status = status if status in catalogue.STATUSES else "all"
    error = None
    try:
        rows, next_cursor = catalogue.listings_page(hub.db, store_id=store_id, q=q[:200], status=status,
                                                    cursor=cursor or None)
    except UserError as exc:
        rows, next_cursor, error = [], None, str(exc)
    with hub.db.read() as s:
        mappings = catalogue.mappings_of(s, [row.id for row in rows if row.mapped])
    cover = stock_cover.cover_of(hub, [(row.id, row.store_id) for row in rows if row.mapped])
    return render_page(request, "catalogue.html", tab="listings", rows=rows, mappings=mappings, cover=cover,
                       stores=catalogue.stores(hub.db), store=store_id or "", q=q, status=status,
                       next_cursor=next_cursor, error=error, flash=FLASH.get(done),
                       waiting_count=catalogue.waiting_count(hub.db))


def _listing_page(request: Request, hub: Hub, listing_id: int, *, q: str = "", form: dict[str, str] | None = None,
                  errors: dict[str, str] | None = None, flash: str | None = None) -> Response:
    try:
        item, mappings = catalogue.listing(hub.db, listing_id)
    except UserError:
        return render_page(request, "missing.html", status_code=404, what=f"listing {listing_id}")
    search = q or item.sku or ""
    candidates, _ = catalogue.offers_page(hub.db, q=search, limit=10) if search else ([], None)
    cover = stock_cover.cover_of(hub, [(item.id, item.store_id)]).get(item.id)
    return render_page(request, "catalogue_listing.html", tab="listings", item=item, mappings=mappings,
                       candidates=candidates, q=search, cover=cover, flash=flash,
                       taken={(m.supplier, m.supplier_sku) for m in mappings},
                       form=form or {"supplier_offer": "", "priority": "", "quantity": "1"}, errors=errors or {})


@router.get("/catalogue/listings/{listing_id}", response_class=HTMLResponse)
def listing_page(request: Request, hub: HubDep, listing_id: str, q: str = "", done: str = "") -> Response:
    number = _number(listing_id)
    if number is None:
        return render_page(request, "missing.html", status_code=404, what=f"listing {listing_id[:40]}")
    return _listing_page(request, hub, number, q=q[:200], flash=FLASH.get(done))


@router.post("/catalogue/listings/{listing_id}/map")
def map_listing(request: Request, hub: HubDep, listing_id: Id, supplier_offer: Annotated[str, Form()] = "",
                priority: Annotated[str, Form()] = "", quantity: Annotated[str, Form()] = "1",
                q: Annotated[str, Form()] = "") -> Response:
    back = f"/catalogue/listings/{listing_id}"
    if refused := _refused(request, back):
        return refused
    form = {"supplier_offer": supplier_offer, "priority": priority, "quantity": quantity}
    try:
        choice = OfferChoice.model_validate({"supplier_offer": supplier_offer.strip(),
                                             "priority": priority.strip() or None, "quantity": quantity.strip()})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for problem in exc.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "_form"
            errors.setdefault(field, problem["msg"])
        return _listing_page(request, hub, listing_id, q=q, form=form, errors=errors)
    try:
        listings.map_listing(hub, listing_id, choice.supplier_offer, priority=choice.priority,
                             quantity=choice.quantity)
    except UserError as exc:
        return _listing_page(request, hub, listing_id, q=q, form=form, errors={"supplier_offer": str(exc)})
    return RedirectResponse(f"{back}?done=mapped", status_code=303)


@router.post("/catalogue/listings/{listing_id}/mappings/{mapping_id}/remove")
def remove_mapping(request: Request, hub: HubDep, listing_id: Id, mapping_id: Id) -> Response:
    back = f"/catalogue/listings/{listing_id}"
    if refused := _refused(request, back):
        return refused
    with contextlib.suppress(UserError):  # already gone: the page shows what is left
        listings.remove_mapping(hub, mapping_id)
    return RedirectResponse(f"{back}?done=removed", status_code=303)


@router.get("/catalogue/offers", response_class=HTMLResponse)
def offers_page(request: Request, hub: HubDep, supplier: str = "", q: str = "", cursor: str = "") -> Response:
    error = None
    try:
        rows, next_cursor = catalogue.offers_page(hub.db, supplier=supplier[:64], q=q[:200], cursor=cursor or None)
    except UserError as exc:
        rows, next_cursor, error = [], None, str(exc)
    return render_page(request, "catalogue_offers.html", tab="offers", rows=rows, next_cursor=next_cursor,
                       suppliers=catalogue.suppliers(hub.db), supplier=supplier, q=q, error=error)


@router.get("/catalogue/prices", response_class=HTMLResponse)
def prices_page(request: Request, hub: HubDep, done: str = "") -> Response:
    return _prices(request, hub, flash=FLASH.get(done))


def _prices(request: Request, hub: Hub, **context: Any) -> Response:
    waiting = catalogue.prices(hub.db, waiting=True)
    return render_page(request, "catalogue_prices.html", tab="prices", waiting=waiting, waiting_count=len(waiting),
                       decided=catalogue.prices(hub.db, waiting=False, limit=50), **context)


def _decision(request: Request, hub: Hub, item_id: int | None, approved: bool) -> Response:
    if refused := _refused(request, "/catalogue/prices"):
        return refused
    word = "approved" if approved else "rejected"
    try:
        if item_id is None:
            store_sync.decide_all(hub, approved=approved)
            word += "-all"
        elif approved:
            store_sync.approve_price(hub, item_id)
        else:
            store_sync.reject_price(hub, item_id)
    except UserError as exc:
        return _prices(request, hub, errors={"_form": str(exc)})
    return RedirectResponse(f"/catalogue/prices?done={word}", status_code=303)


@router.post("/catalogue/prices/approve-all")
def approve_all(request: Request, hub: HubDep) -> Response:
    return _decision(request, hub, None, approved=True)


@router.post("/catalogue/prices/reject-all")
def reject_all(request: Request, hub: HubDep) -> Response:
    return _decision(request, hub, None, approved=False)


@router.post("/catalogue/prices/{item_id}/approve")
def approve(request: Request, hub: HubDep, item_id: Id) -> Response:
    return _decision(request, hub, item_id, approved=True)


@router.post("/catalogue/prices/{item_id}/reject")
def reject(request: Request, hub: HubDep, item_id: Id) -> Response:
    return _decision(request, hub, item_id, approved=False)
