"""Database leases: at most one run of a (job, scope) at a time, across threads and processes.

A lease row exists per (job, scope) (unique constraint); taking it is a claim — an UPDATE that
only matches when the lease is free or expired — and the row count says who won.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import JobLease
from hub.db.sql import insert_ignore


def acquire(db: Database, job: str, scope: str, holder: str, ttl_seconds: int,
            now: datetime | None = None) -> bool:
    now = now or utcnow()
    with db.transaction() as session:
        insert_ignore(session, JobLease.__table__,  # type: ignore[arg-type]
                      [{"job": job, "scope": scope, "holder": None, "expires_at": now,
                        "acquired_at": now}], conflict=["job", "scope"])
    with db.transaction() as session:
        result = session.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.scope == scope)
            .where((JobLease.holder.is_(None)) | (JobLease.expires_at <= now))
            .values(holder=holder, expires_at=now + timedelta(seconds=ttl_seconds), acquired_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(db: Database, job: str, scope: str, holder: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.scope == scope, JobLease.holder == holder)
            .values(holder=None, expires_at=utcnow())
            .execution_options(synchronize_session=False)
        )
