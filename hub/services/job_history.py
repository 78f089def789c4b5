"""The jobs' recent runs from `job_runs`, for the jobs page: the last few per job (every store
together), errors in the last 24 hours, and whether one runs now.

Two queries for all jobs: a window (ROW_NUMBER per job, newest first, on the (job, started_at)
index) and a grouped count. What jobs exist and how often they fire is the registry's (jobs/),
which this module does not import: jobs call services, not the other way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select

from hub.db.models import JobRun, Store

if TYPE_CHECKING:
    from hub.db.engine import Database

RUNS_PER_JOB = 5
ERROR_WINDOW = timedelta(hours=24)
ERROR_CHARS = 500


@dataclass(frozen=True)
class RunView:
    id: int
    job: str
    store: str | None  # the store's name, None for a job that runs once for all
    status: str  # running | ok | error
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, Any]
    error: str | None

    @property
    def seconds(self) -> float | None:
        return None if self.finished_at is None else max(0.0, (self.finished_at - self.started_at).total_seconds())

    @property
    def counts_words(self) -> str:
        return ", ".join(f"{key} {value}" for key, value in self.counts.items()) if self.counts else ""


@dataclass
class JobHistory:
    job: str
    runs: list[RunView] = field(default_factory=list)  # newest first
    errors_24h: int = 0
    runs_24h: int = 0

    @property
    def last(self) -> RunView | None:
        return self.runs[0] if self.runs else None

    @property
    def running(self) -> bool:
        return any(run.status == "running" for run in self.runs)


def job_history(db: Database, now: datetime, per_job: int = RUNS_PER_JOB) -> dict[str, JobHistory]:
    """Every job that ever ran (in the retention window), by name."""
    found: dict[str, JobHistory] = defaultdict(lambda: JobHistory(""))
    rank = func.row_number().over(partition_by=JobRun.job, order_by=JobRun.id.desc()).label("rank")
    ranked = select(JobRun.id, rank).subquery()
    query = (select(JobRun, Store.name).join(ranked, ranked.c.id == JobRun.id)
             .outerjoin(Store, Store.id == JobRun.store_id)
             .where(ranked.c.rank <= per_job).order_by(JobRun.job, JobRun.id.desc()))
    errors = func.sum(case((JobRun.status == "error", 1), else_=0))
    with db.read() as session:
        for run, store_name in session.execute(query):
            history = found[run.job]
            history.job = run.job
            history.runs.append(RunView(run.id, run.job, store_name, run.status, run.started_at, run.finished_at,
                                        dict(run.counts or {}), (run.error or "")[:ERROR_CHARS] or None))
        for job, count, failed in session.execute(
                select(JobRun.job, func.count(), errors).where(JobRun.started_at >= now - ERROR_WINDOW)
                .group_by(JobRun.job)):
            found[job].job = job
            found[job].runs_24h, found[job].errors_24h = int(count), int(failed or 0)
    return dict(found)


def latest_run_id(db: Database, job: str) -> int:
    """The newest run of `job` (0 when none): the page compares it to tell a new run from old ones."""
    with db.read() as session:
        return int(session.execute(select(func.coalesce(func.max(JobRun.id), 0)).where(JobRun.job == job))
                   .scalar_one())
