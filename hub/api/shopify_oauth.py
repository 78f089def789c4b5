"""GET /shopify/install and /shopify/callback: the public-app install flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.api.deps import HubDep
from hub.api.errors import responses
from hub.api.params import NO_NUL
from hub.services import oauth

router = APIRouter(prefix="/shopify", tags=["shopify"], responses=responses(400, 422))


@router.get("/install", status_code=302, response_class=RedirectResponse,
            responses={302: {"description": "to Shopify's consent screen"}})
def install(shop: Annotated[str, Query(max_length=255, pattern=NO_NUL, description="NAME.myshopify.com")],
            hub: HubDep) -> RedirectResponse:
    url, state = oauth.start_install(hub, shop)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(oauth.STATE_COOKIE, state, max_age=oauth.STATE_TTL_SECONDS, httponly=True,
                        samesite="lax", secure=hub.settings.public_url.startswith("https://"))
    return response


@router.get("/callback", responses={200: {"content": {"text/html": {}}, "description": "the store is connected"}})
def callback(request: Request, hub: HubDep) -> HTMLResponse:
    view = oauth.finish_install(hub, dict(request.query_params), request.cookies.get(oauth.STATE_COOKIE))
    response = HTMLResponse(f"<p>{view['name']} is connected to the hub (store {view['id']}).</p>"
                            '<p><a href="/">Open the hub</a></p>')
    response.delete_cookie(oauth.STATE_COOKIE)
    return response
