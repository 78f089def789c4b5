"""Run one job for one scope: take the lease, record a job_runs row, release.

While the run works, this process's heartbeat thread keeps its lease beating; a process killed
mid-run leaves a lease the next process takes over at once (same host) or after a few missed
beats (another host), not after `HUB_JOB_LEASE_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.db.base import utcnow
from hub.db.models import JobRun
from hub.logs import bound, scrub
from hub.metrics import observe_job
from jobs import leases
from jobs.heartbeat import heartbeat
from jobs.registry import JobSpec

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)
ERROR_EXCERPT_CHARS = 2000


@dataclass(frozen=True)
class RunOutcome:
    status: str  # ok | error | skipped
    run_id: int | None
    counts: dict[str, int]
    error: str | None = None


def holder_id() -> str:
    return f"{socket.gethostname()[:64]}:{os.getpid()}:{threading.get_ident()}"


def run_job(hub: Hub, spec: JobSpec, store_id: int | None = None) -> RunOutcome:
    scope = str(store_id) if store_id is not None else "*"
    holder = holder_id()
    interval = hub.settings.job_heartbeat_seconds
    if not leases.acquire(hub.db, spec.name, scope, holder, hub.settings.job_lease_seconds,
                          heartbeat_seconds=interval):
        logger.debug("job already running elsewhere", extra={"job": spec.name, "scope": scope})
        return RunOutcome("skipped", None, {})
    started = time.perf_counter()
    with heartbeat(hub.db, interval), bound(job=spec.name, store_id=store_id):
        outcome = _run_held(hub, spec, store_id, scope, holder)
    observe_job(spec.name, outcome.status, time.perf_counter() - started)
    return outcome


def _run_held(hub: Hub, spec: JobSpec, store_id: int | None, scope: str, holder: str) -> RunOutcome:
    try:
        with hub.db.transaction() as session:
            run = JobRun(job=spec.name, store_id=store_id, status="running", counts={})
            session.add(run)
            session.flush()
            run_id = run.id
        try:
            counts = spec.func(hub, store_id)
        except Exception as exc:
            # A database error's text can repeat a failing row (a customer's name, e-mail, address).
            excerpt = scrub("".join(traceback.format_exception_only(exc)).strip())[:ERROR_EXCERPT_CHARS]
            logger.exception("job failed", extra={"job": spec.name, "scope": scope})
            _finish(hub, run_id, "error", {}, excerpt)
            return RunOutcome("error", run_id, {}, excerpt)
        _finish(hub, run_id, "ok", counts, None)
        return RunOutcome("ok", run_id, counts)
    finally:
        leases.release(hub.db, spec.name, scope, holder)


def _finish(hub: Hub, run_id: int, status: str, counts: dict[str, int], error: str | None) -> None:
    with hub.db.transaction() as session:
        run = session.get(JobRun, run_id)
        if run is not None:
            run.status, run.counts, run.error, run.finished_at = status, counts, error, utcnow()
