"""Request dependencies: the Hub of this app, and the admin-token check every /api/v1 route uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from hub.api.errors import ApiError
from hub.bootstrap import Hub
from hub.crypto import tokens_equal


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require_admin(hub: HubDep, authorization: Annotated[str | None, Header()] = None) -> None:
    token = bearer_token(authorization)
    if token is None:
        raise ApiError(401, "missing admin token: send 'Authorization: Bearer <HUB_ADMIN_TOKEN>'")
    if not tokens_equal(token, hub.settings.admin_token_value()):
        raise ApiError(401, "invalid admin token")
