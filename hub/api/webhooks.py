"""POST /webhooks/shopify: verify, store, answer; processing runs after the response."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse

from hub.api import errors as api_errors
from hub.api.deps import HubDep
from hub.api.errors import error_body
from hub.services import webhooks as webhook_service

router = APIRouter(tags=["webhooks"])


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it exceeds `limit` (checked on the header and while streaming)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/webhooks/shopify", responses=api_errors.responses(400, 401, 413, 422))
async def shopify_webhook(request: Request, hub: HubDep, background: BackgroundTasks) -> JSONResponse:
    body = await _read_limited(request, hub.settings.webhook_max_bytes)
    if body is None:
        return JSONResponse(error_body("payload_too_large",
                                       f"webhook body over {hub.settings.webhook_max_bytes} bytes"), 413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    receipt = webhook_service.receive(hub, "shopify", headers, body)
    if receipt.status_code != 200:
        code = {401: "unauthorized", 400: "bad_request"}.get(receipt.status_code, "error")
        return JSONResponse(error_body(code, receipt.message), receipt.status_code)
    if receipt.delivery_id is not None:
        background.add_task(webhook_service.process, hub, receipt.delivery_id)
    return JSONResponse({"status": "duplicate" if receipt.duplicate else "accepted"})
