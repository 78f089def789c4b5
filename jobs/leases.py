"""Database leases: at most one run of a (job, scope) at a time, across threads and processes.

A lease row exists per (job, scope) (unique constraint); taking it is a claim — an UPDATE whose
WHERE says why it may be taken — and the row count says who won. It may be taken when it is free,
past its expiry (`HUB_JOB_LEASE_SECONDS`, the longest any run may hold it), when its holder's
heartbeat stopped (a few `HUB_JOB_HEARTBEAT_SECONDS` without a beat), or at once when its holder
is gone: same host and that pid is not alive, or is alive but started at another time (a reused
pid is another process). A dead holder is taken over with `WHERE holder = :old AND holder_started
= :old_started`, so of two contenders exactly one wins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import JobLease
from hub.db.sql import insert_ignore
from jobs.holders import Holder, holder_is_gone

DEFAULT_HEARTBEAT_SECONDS = 5.0
HEARTBEAT_MISSES = 4  # a holder whose last beat is older than this many intervals has stopped


def stale_after(heartbeat_seconds: float) -> timedelta:
    return timedelta(seconds=heartbeat_seconds * HEARTBEAT_MISSES)


def acquire(db: Database, job: str, scope: str, holder: str, ttl_seconds: int,
            now: datetime | None = None, *, identity: Holder | None = None,
            heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS) -> bool:
    """Take the lease for `holder` (one run); False when someone alive holds it."""
    now = now or utcnow()
    me = identity or Holder.current()
    with db.transaction() as session:
        insert_ignore(session, JobLease.__table__,  # type: ignore[arg-type]
                      [{"job": job, "scope": scope, "holder": None, "expires_at": now,
                        "acquired_at": now}], conflict=["job", "scope"])
    taken = {"holder": holder, "holder_host": me.host, "holder_pid": me.pid, "holder_started": me.started,
             "heartbeat_at": now, "expires_at": now + timedelta(seconds=ttl_seconds), "acquired_at": now}
    mine = (JobLease.job == job, JobLease.scope == scope)
    with db.transaction() as session:
        result = session.execute(
            update(JobLease).where(*mine)
            .where(or_(JobLease.holder.is_(None), JobLease.expires_at <= now,
                       JobLease.heartbeat_at < now - stale_after(heartbeat_seconds)))
            .values(**taken).execution_options(synchronize_session=False))
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return True
    with db.transaction() as session:
        row = session.execute(select(JobLease.holder, JobLease.holder_host, JobLease.holder_pid,
                                     JobLease.holder_started).where(*mine)).one_or_none()
    if row is None or row.holder is None or row.holder_host is None or row.holder_pid is None:
        return False
    if not holder_is_gone(Holder(row.holder_host, row.holder_pid, row.holder_started), me):
        return False
    same_process = (JobLease.holder_started.is_(None) if row.holder_started is None
                    else JobLease.holder_started == row.holder_started)
    with db.transaction() as session:
        result = session.execute(
            update(JobLease).where(*mine, JobLease.holder == row.holder, JobLease.holder_host == row.holder_host,
                                   JobLease.holder_pid == row.holder_pid, same_process)
            .values(**taken).execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(db: Database, job: str, scope: str, holder: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.scope == scope, JobLease.holder == holder)
            .values(holder=None, expires_at=utcnow(), heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )


def beat(db: Database, identity: Holder | None = None, now: datetime | None = None) -> int:
    """Renew the heartbeat of every lease this process holds; returns how many."""
    me = identity or Holder.current()
    same_start = (JobLease.holder_started.is_(None) if me.started is None
                  else JobLease.holder_started == me.started)
    with db.transaction() as session:
        result = session.execute(
            update(JobLease).where(JobLease.holder.is_not(None), JobLease.holder_host == me.host,
                                   JobLease.holder_pid == me.pid, same_start)
            .values(heartbeat_at=now or utcnow(), acquired_at=JobLease.acquired_at)
            .execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
