"""Liveness and readiness: 200 when the database answers, 503 with the reason when not."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from hub.api.deps import HubDep

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(hub: HubDep) -> JSONResponse:
    try:
        hub.db.ping()
    except SQLAlchemyError as exc:
        reason = type(getattr(exc, "orig", None) or exc).__name__
        logger.warning("health check: database unreachable", extra={"reason": reason})
        return JSONResponse({"status": "unavailable", "database": f"error: {reason}"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
