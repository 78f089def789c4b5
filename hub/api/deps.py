"""Request dependencies: the Hub of this app, and the admin-token check every /api/v1 route uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.errors import ApiError
from hub.bootstrap import Hub
from hub.crypto import tokens_equal


async def get_hub(request: Request) -> Hub:
    """Async on purpose: a sync dependency costs every request a hop to the thread pool."""
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# Declared as security schemes (not header parameters), so the OpenAPI says how to authenticate.
admin_bearer = HTTPBearer(scheme_name="adminToken", auto_error=False,
                          description="HUB_ADMIN_TOKEN, sent as `Authorization: Bearer <token>`")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(admin_bearer)]


def credentials_token(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials.strip() or None if credentials else None


def require_admin(hub: HubDep, credentials: BearerDep) -> None:
    token = credentials_token(credentials)
    if token is None:
        raise ApiError(401, "missing admin token: send 'Authorization: Bearer <HUB_ADMIN_TOKEN>'")
    if not tokens_equal(token, hub.settings.admin_token_value()):
        raise ApiError(401, "invalid admin token")
