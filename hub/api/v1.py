"""The admin API root: every route under /api/v1 requires the admin token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from hub import __version__
from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.db.models import JobRun

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_admin)], responses=responses(401, 422))


@router.get("/status", tags=["status"])
def status(hub: HubDep) -> dict[str, Any]:
    """Version, database backend and the latest job runs."""
    with hub.db.transaction() as session:
        runs = session.execute(select(JobRun).order_by(JobRun.id.desc()).limit(20)).scalars().all()
        recent = [
            {"job": r.job, "store_id": r.store_id, "status": r.status, "counts": r.counts,
             "error": r.error, "started_at": r.started_at.isoformat(),
             "finished_at": r.finished_at.isoformat() if r.finished_at else None}
            for r in runs
        ]
    return {"version": __version__, "database": hub.db.dialect, "job_runs": recent}
