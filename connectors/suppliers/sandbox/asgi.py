"""The sandbox supplier as an ASGI app (Starlette): for `hub run --sandbox` and the runnable server.

The core is synchronous (latency faults sleep), so it runs in Starlette's thread pool.
"""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.suppliers.sandbox.server import SandboxSupplierServer


def create_app(sandbox: SandboxSupplierServer | None = None) -> Starlette:
    """An ASGI app serving the sandbox supplier API (a fresh sandbox if None) at its root."""
    supplier = sandbox or SandboxSupplierServer()

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        path = "/" + str(request.path_params.get("path", ""))  # relative to wherever it is mounted
        reply = await run_in_threadpool(
            supplier.handle, request.method, path, request.url.query, dict(request.headers), body
        )
        if reply.fault == "timeout":  # the work is done; the answer is lost: stall, then 504
            await asyncio.sleep(supplier.config.faults.timeout_seconds)
            return Response(status_code=504)
        return Response(reply.body, status_code=reply.status, headers=reply.headers)

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])
    app.state.sandbox = supplier
    return app
