"""APScheduler 3 wiring: one interval trigger per job; per-store jobs fan out over active stores.

Each (job, store) run still takes its database lease, so a second process running the same
scheduler (or a worker) never does the same run twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler

from hub.services.stores import active_store_ids
from jobs.registry import JobRegistry, JobSpec
from jobs.registry import registry as default_registry
from jobs.runner import run_job

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)


def tick(hub: Hub, spec: JobSpec) -> None:
    """One firing of a job: for every active store when per-store, else once."""
    if not spec.per_store:
        run_job(hub, spec, None)
        return
    for store_id in active_store_ids(hub.db, spec.platforms):
        run_job(hub, spec, store_id)


def build_scheduler(hub: Hub, registry: JobRegistry | None = None) -> BackgroundScheduler:
    registry = registry or default_registry
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    for spec in registry.all():
        # First run right away (a fresh start pulls and routes at once), then every interval.
        scheduler.add_job(tick, "interval", seconds=spec.interval_seconds, args=[hub, spec],
                          id=spec.name, name=spec.name, next_run_time=datetime.now(UTC))
        logger.info("scheduled job", extra={"job": spec.name, "every_s": spec.interval_seconds})
    return scheduler
