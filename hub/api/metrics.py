"""GET /metrics: Prometheus text format, behind a bearer token.

Metrics name stores, suppliers and shop domains, so they are not public: the scraper sends
`HUB_METRICS_TOKEN` (a token that opens nothing else) or the admin token.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.api import errors as api_errors
from hub.api.deps import BearerDep, HubDep, credentials_token
from hub.api.errors import ApiError
from hub.crypto import tokens_equal
from hub.metrics import CONTENT_TYPE, render


def require_metrics_reader(hub: HubDep, credentials: BearerDep) -> None:
    token = credentials_token(credentials)
    if token is None:
        raise ApiError(401, "missing token: send 'Authorization: Bearer <HUB_METRICS_TOKEN or HUB_ADMIN_TOKEN>'")
    metrics_token = hub.settings.metrics_token.get_secret_value() if hub.settings.metrics_token else ""
    if metrics_token and tokens_equal(token, metrics_token):  # empty (as compose passes it unset): no such token
        return
    if not tokens_equal(token, hub.settings.admin_token_value()):
        raise ApiError(401, "invalid token")


router = APIRouter(tags=["health"], dependencies=[Depends(require_metrics_reader)])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text exposition"},
                       **api_errors.responses(401)})
async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(render, [request.app.state.database_metrics])  # one SQL query, cached
    return Response(body, media_type=CONTENT_TYPE)
