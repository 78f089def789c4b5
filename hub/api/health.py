"""Liveness and readiness, for a process manager and a load balancer.

`/healthz`: the process is alive and answering (no dependency checked: restarting the API would
not bring a database back). `/readyz`: 200 when the database answers (and the broker, when
`HUB_BROKER_URL` is set), else 503 naming the part that failed, so traffic goes elsewhere.
"""

from __future__ import annotations

import logging
import socket
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from hub.api.deps import HubDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])

BROKER_TIMEOUT_SECONDS = 2.0
DEFAULT_PORTS = {"redis": 6379, "rediss": 6380, "amqp": 5672, "amqps": 5671, "pyamqp": 5672}


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


def broker_problem(url: str, timeout: float = BROKER_TIMEOUT_SECONDS) -> str | None:
    """Why the broker cannot be reached (a TCP connection to its host and port), or None.
    The reason never repeats the URL: it may hold a password."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return "error: HUB_BROKER_URL is not a URL"
    if not parts.hostname or port is None:
        return "error: HUB_BROKER_URL needs a host (and a port for this scheme)"
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"error: {type(exc).__name__}"


@router.get("/readyz")
def readyz(hub: HubDep) -> JSONResponse:
    body: dict[str, str] = {}
    try:
        hub.db.ping()
        body["database"] = "ok"
    except SQLAlchemyError as exc:
        body["database"] = f"error: {type(getattr(exc, 'orig', None) or exc).__name__}"
    if hub.settings.broker_url:
        body["broker"] = broker_problem(hub.settings.broker_url) or "ok"
    failed = [part for part, state in body.items() if state != "ok"]
    if failed:
        logger.warning("not ready", extra={"failed": ",".join(failed)})
        return JSONResponse({"status": "unavailable", **body}, status_code=503)
    return JSONResponse({"status": "ok", **body})
