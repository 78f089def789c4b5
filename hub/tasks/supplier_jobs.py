"""Supplier jobs fanned out one task per supplier, so one slow supplier holds up no other.

Each (job, supplier) run takes its own database lease (scope `supplier:<id>`), recorded in
`job_runs` like any run; a second task for the same supplier while one runs does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import JobRun, Supplier
from hub.services.supplier_polling import POLLED_KINDS
from jobs import leases
from jobs.heartbeat import heartbeat
from jobs.runner import _finish, holder_id

logger = logging.getLogger(__name__)


def _poll(hub: Hub, supplier_id: int) -> dict[str, int]:
    from hub.services.supplier_polling import poll_shipments

    return poll_shipments(hub, supplier_id=supplier_id)


def _pull_feed(hub: Hub, supplier_id: int) -> dict[str, int]:
    from hub.services.feed_pull import pull_due_feeds

    with hub.db.read() as session:
        code = session.execute(select(Supplier.code).where(Supplier.id == supplier_id)).scalar_one_or_none()
    return pull_due_feeds(hub, codes={code}) if code is not None else {}


SUPPLIER_JOBS: dict[str, Callable[[Hub, int], dict[str, int]]] = {
    "suppliers.poll": _poll,
    "suppliers.pull_feed": _pull_feed,
}


def supplier_ids(hub: Hub, job: str) -> list[int]:
    """The suppliers a firing of `job` fans out over: active ones the job concerns."""
    query = select(Supplier.id).where(Supplier.active.is_(True)).order_by(Supplier.id)
    if job == "suppliers.poll":
        query = query.where(Supplier.kind.in_(POLLED_KINDS))
    elif job == "suppliers.pull_feed":
        query = query.where(Supplier.feed_url.is_not(None))
    with hub.db.read() as session:
        return list(session.execute(query).scalars())


def run_for_supplier(hub: Hub, job: str, supplier_id: int) -> str:
    """One run of a supplier job for one supplier, under its lease; returns ok, error or skipped."""
    body = SUPPLIER_JOBS[job]
    scope, holder = f"supplier:{supplier_id}", holder_id()
    interval = hub.settings.job_heartbeat_seconds
    if not leases.acquire(hub.db, job, scope, holder, hub.settings.job_lease_seconds, heartbeat_seconds=interval):
        return "skipped"
    try:
        with heartbeat(hub.db, interval):
            with hub.db.transaction() as session:
                run = JobRun(job=job, store_id=None, status="running", counts={"supplier_id": supplier_id})
                session.add(run)
                session.flush()
                run_id = run.id
            try:
                counts = body(hub, supplier_id)
            except Exception as exc:
                logger.exception("supplier job failed", extra={"job": job, "supplier_id": supplier_id})
                _finish(hub, run_id, "error", {"supplier_id": supplier_id}, type(exc).__name__)
                return "error"
            _finish(hub, run_id, "ok", {**counts, "supplier_id": supplier_id}, None)
            return "ok"
    finally:
        leases.release(hub.db, job, scope, holder)
