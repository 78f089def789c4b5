"""The hub's jobs. Importing this module registers them; each body calls a service."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from hub.db.base import utcnow
from hub.db.models import JobRun
from jobs.registry import JobSpec, registry

if TYPE_CHECKING:
    from hub.bootstrap import Hub

JOB_RUN_RETENTION = timedelta(days=30)


def pull_supplier_feeds(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """Pull the feeds of suppliers with a feed URL that are due (HUB_FEED_PULL_INTERVAL_SECONDS)."""
    import httpx

    from hub.services.feed_pull import pull_due_feeds

    with httpx.Client(timeout=hub.settings.feed_pull_timeout_seconds, follow_redirects=True) as client:
        return pull_due_feeds(hub, client)


def prune_job_runs(hub: Hub, _store_id: int | None) -> dict[str, int]:
    """Keep the run history bounded: drop runs older than the retention window."""
    with hub.db.transaction() as session:
        result = session.execute(
            delete(JobRun).where(JobRun.started_at < utcnow() - JOB_RUN_RETENTION)
            .execution_options(synchronize_session=False)
        )
        return {"deleted": int(result.rowcount or 0)}  # type: ignore[attr-defined]


registry.register(JobSpec("housekeeping.prune_job_runs", prune_job_runs, interval_seconds=3600,
                          per_store=False))
registry.register(JobSpec("suppliers.pull_feed", pull_supplier_feeds, interval_seconds=300, per_store=False))
