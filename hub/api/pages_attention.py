"""The /attention page: each item with the action that ends its cause, on the item itself.

A form posts one action (`POST /attention/{id}/{action}`) to `attention_actions.act`, the same
function and checks as the JSON API. Done, the page is shown again (303) with what happened to the
item; refused, the page is shown at once (200) with the error beside the field and what was typed.
Searching offers to map a product is a plain GET (`?item=…&q=…`), so it works without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.api import session
from hub.api.dashboard import render_page
from hub.api.deps import HubDep
from hub.api.params import MAX_ID, Id
from hub.bootstrap import Hub
from hub.domain.attention_actions import ACTION_WORDS, Action
from hub.errors import Conflict, NotFound, UserError
from hub.services import attention_actions, attention_view

router = APIRouter(include_in_schema=False)


def _render(request: Request, hub: Hub, *, item: int | None = None, q: str = "", status_code: int = 200,
            **context: Any) -> Response:
    active, snoozed = attention_view.entries(hub, limit=300)
    found = attention_view.search(hub, q) if item is not None and q.strip() else []
    return render_page(request, "attention.html", status_code=status_code, items=active, snoozed=snoozed,
                       words={a.value: w for a, w in ACTION_WORDS.items()}, search_item=item, q=q, found=found,
                       item_errors=context.pop("item_errors", {}), typed=context.pop("typed", {}), **context)


@router.get("/attention", response_class=HTMLResponse)
def attention_list(request: Request, hub: HubDep, item: str = "", q: str = "", acted: str = "",
                   action: str = "") -> Response:
    # Whatever the address bar holds: a page, never a 422 (ids that are not ids are ignored).
    number = _id(acted)
    outcome = attention_actions.outcome_of(hub, number, action) if number and action in set(Action) else None
    return _render(request, hub, item=_id(item), q=q[:100], outcome=outcome)


def _id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID else None


@router.post("/attention/{item_id}/{action}")
def act(request: Request, hub: HubDep, item_id: Id, action: str, offer: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "") -> Response:
    if not session.signed_in(request):
        return RedirectResponse("/login?next=/attention", status_code=303)
    try:
        attention_actions.act(hub, item_id, action[:40], offer=offer[:400], reason=reason[:2000],
                              actor="the admin")
    except UserError as exc:
        field = getattr(exc, "field", "_form")
        gone = isinstance(exc, NotFound | Conflict)  # no longer on the list: said above it
        return _render(request, hub, item_errors={item_id: {field: str(exc)}}, page_error=str(exc) if gone else None,
                       typed={item_id: {"offer": offer[:400], "reason": reason[:2000], "action": action[:40]}})
    return RedirectResponse(f"/attention?acted={item_id}&action={action}#done", status_code=303)
