"""`hub scheduler`: enqueue the periodic work, active only while it holds the database lease.

Two (or more) may run; each asks for the lease `scheduler`/`*` every heartbeat and the one that
has it renews its heartbeat and expiry. When the active one dies its lease is taken at once by a
standby on the same host (its pid is gone) and after a few missed beats from another host. Each
firing fans out: one `hub.job` task per active store for per-store jobs and one
`hub.supplier_job` per supplier for supplier polls and feed pulls, so many stores and suppliers
spread over many workers; every task still takes its (job, store) lease, so a firing doubled during a
hand-over does no run twice.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from celery import Celery
from sqlalchemy import update

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import JobLease
from hub.services.stores import active_store_ids
from hub.tasks.app import publish_job, publish_messages, publish_supplier_job
from hub.tasks.queues import BROKER_REPLACED_JOBS
from hub.tasks.relay import Relay
from hub.tasks.supplier_jobs import SUPPLIER_JOBS, supplier_ids
from jobs import leases
from jobs.registry import JobSpec, registry
from jobs.runner import holder_id

logger = logging.getLogger(__name__)

LEASE_JOB, LEASE_SCOPE = "scheduler", "*"
RELAY_JOB = "outbox.relay"
MIN_EXPIRY_SECONDS = 30.0


def expiry(spec: JobSpec) -> float:
    """How long a firing's task may wait in its queue: its interval, at least MIN_EXPIRY_SECONDS. A
    firing not started by then is dropped (the next one brings another): behind a backlog, 20 stores'
    firings every few seconds would otherwise pile up and all run, one after another, once reached."""
    return max(spec.interval_seconds, MIN_EXPIRY_SECONDS)


def fan_out(hub: Hub, app: Celery, spec: JobSpec) -> int:
    """One task per active store (per-store jobs), per supplier (supplier jobs), or one task;
    returns how many were enqueued."""
    if spec.name in SUPPLIER_JOBS:
        suppliers = supplier_ids(hub, spec.name)
        for supplier_id in suppliers:
            publish_supplier_job(app, spec.name, supplier_id, expires=expiry(spec))
        return len(suppliers)
    scopes: list[int | None] = (list(active_store_ids(hub.db, spec.platforms)) if spec.per_store else [None])
    for store_id in scopes:
        publish_job(app, spec.name, store_id, expires=expiry(spec))
    return len(scopes)


def _fire(hub: Hub, app: Celery, spec: JobSpec) -> None:
    try:
        fan_out(hub, app, spec)
    except Exception:  # a broker or database hiccup: the next firing tries again
        logger.exception("scheduler could not enqueue", extra={"job": spec.name})


def _relay(relay: Relay) -> None:
    try:
        relay()
    except Exception:
        logger.exception("outbox relay failed")


def build(hub: Hub, app: Celery) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1,
                                                                  "misfire_grace_time": 30})
    now = datetime.now(UTC)
    for spec in registry.all():
        if spec.name in BROKER_REPLACED_JOBS:
            continue
        scheduler.add_job(_fire, "interval", seconds=spec.interval_seconds, args=[hub, app, spec],
                          id=spec.name, name=spec.name, next_run_time=now)
    relay = Relay(hub.db, lambda messages: publish_messages(app, messages),
                  timedelta(seconds=hub.settings.relay_grace_seconds))
    scheduler.add_job(_relay, "interval", seconds=hub.settings.outbox_interval_seconds, args=[relay],
                      id=RELAY_JOB, name=RELAY_JOB, next_run_time=now)
    return scheduler


def _ttl(hub: Hub) -> int:
    return max(1, round(hub.settings.job_heartbeat_seconds * leases.HEARTBEAT_MISSES))


def renew(hub: Hub, holder: str) -> bool:
    """Beat and extend our lease; False when it is no longer ours (then stop at once)."""
    now = utcnow()
    with hub.db.transaction() as session:
        result = session.execute(
            update(JobLease).where(JobLease.job == LEASE_JOB, JobLease.scope == LEASE_SCOPE,
                                   JobLease.holder == holder)
            # acquired_at stays the moment it was taken (the column's onupdate would move it).
            .values(heartbeat_at=now, expires_at=now + timedelta(seconds=_ttl(hub)), acquired_at=JobLease.acquired_at)
            .execution_options(synchronize_session=False))
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def run(hub: Hub, app: Celery, stop: threading.Event) -> None:
    """Stand by until the lease is ours, schedule while we keep it; until `stop` is set."""
    from jobs.definitions import register_all

    register_all(hub.settings)
    holder = holder_id()
    interval = hub.settings.job_heartbeat_seconds
    while not stop.is_set():
        if not leases.acquire(hub.db, LEASE_JOB, LEASE_SCOPE, holder, _ttl(hub), heartbeat_seconds=interval):
            stop.wait(interval)
            continue
        logger.info("scheduler active", extra={"holder": holder})
        scheduler = build(hub, app)
        scheduler.start()
        try:
            while not stop.wait(interval):
                try:
                    if not renew(hub, holder):
                        logger.warning("scheduler lease lost: standing by", extra={"holder": holder})
                        break
                except Exception:  # the database is out of reach: beat again, the lease survives a few misses
                    logger.exception("scheduler lease renewal failed")
        finally:
            scheduler.shutdown(wait=False)
            leases.release(hub.db, LEASE_JOB, LEASE_SCOPE, holder)
