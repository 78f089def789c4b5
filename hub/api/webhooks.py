"""POST /webhooks/shopify: verify, store, answer; processing runs after the response (in this
process without a broker, on an intake worker with one)."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

from hub.api import errors as api_errors
from hub.api.deps import HubDep
from hub.api.errors import error_body
from hub.bootstrap import Hub
from hub.db.engine import is_database_busy
from hub.metrics import WEBHOOK_ACK_SECONDS
from hub.services import wakeups
from hub.services import webhooks as webhook_service

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
RETRY_AFTER_SECONDS = 5


def process_after_response(hub: Hub, delivery_id: int) -> None:
    """The background task: whatever happens stays here (an exception escaping a background task
    would tear down the server's connection). Each unit of work rolls back on failure, so the
    pooled connection goes back clean; the delivery itself records its outcome, and the sweep
    takes over whatever could not even be recorded."""
    try:
        webhook_service.process(hub, delivery_id)
    except Exception as exc:
        logger.error("webhook processing failed after the response; the sweep will retry it",
                     extra={"delivery_id": delivery_id, "error_type": type(exc).__name__})


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
    started = time.perf_counter()
    response, topic = await _acknowledge(request, hub, background)
    outcome = {200: "accepted", 503: "busy"}.get(response.status_code, "refused")
    WEBHOOK_ACK_SECONDS.labels("shopify", topic, outcome).observe(time.perf_counter() - started)
    return response


async def _acknowledge(request: Request, hub: Hub, background: BackgroundTasks) -> tuple[JSONResponse, str]:
    """The answer, and the topic to label its latency with: the sender's topic once its signature
    is verified, "unverified" before (an unsigned request must not invent metric labels)."""
    body = await _read_limited(request, hub.settings.webhook_max_bytes)
    if body is None:
        return JSONResponse(error_body("payload_too_large",
                                       f"webhook body over {hub.settings.webhook_max_bytes} bytes"), 413), "unverified"
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:  # in a worker thread: waiting for the database never stalls the other requests
        receipt = await run_in_threadpool(webhook_service.receive, hub, "shopify", headers, body)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        logger.warning("webhook not stored: the database is busy; asked the sender to retry")
        return JSONResponse(error_body("unavailable", "the database is busy; retry shortly"), 503,
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)}), "unverified"
    if receipt.status_code != 200:
        code = {401: "unauthorized", 400: "bad_request"}.get(receipt.status_code, "error")
        return JSONResponse(error_body(code, receipt.message), receipt.status_code), "unverified"
    topic = headers.get("x-shopify-topic", "").strip().lower()[:64] or "unknown"
    if receipt.delivery_id is not None and not wakeups.enabled():  # with a broker: an intake worker's
        background.add_task(process_after_response, hub, receipt.delivery_id)
    return JSONResponse({"status": "duplicate" if receipt.duplicate else "accepted"}), topic
