"""The sandbox as an ASGI app (Starlette), for `hub run --sandbox` to mount at /sandbox/shopify.

The handler runs in Starlette's thread pool because the core is synchronous (it may sleep for
latency faults) and guarded by its own lock.
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.shopify.sandbox.server import SandboxShopify


def create_app(sandbox: SandboxShopify | None = None) -> Starlette:
    """An ASGI app serving `/admin/api/{version}/graphql.json` from `sandbox` (a fresh one if None)."""
    shop = sandbox or SandboxShopify()

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        reply = await run_in_threadpool(
            shop.handle, request.method, request.url.path, dict(request.headers), body
        )
        if reply.fault == "timeout":  # an HTTP server cannot "not answer": stall, then 504
            await asyncio.sleep(shop.config.faults.timeout_seconds)
            return Response(status_code=504)
        return Response(reply.body, status_code=reply.status, headers=reply.headers)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"])])
    app.state.sandbox = shop
    return app
