""""Run now" from the jobs page: one firing of a job, by the path the scheduler would take.

With a broker (HUB_BROKER_URL) the firing is published to the workers exactly as `hub scheduler`
fans it out; without one it runs in a background thread of this process exactly as the embedded
scheduler's `tick` does. Either way each (job, store) run takes its lease and writes its
`job_runs` row, so a run already going elsewhere is skipped, not doubled, and the page reads the
outcome from `job_runs` afterwards.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.errors import NotFound
from hub.services.stores import active_store_ids
from jobs.registry import JobSpec, registry
from jobs.scheduler import tick

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Started:
    job: str
    queued: int | None  # tasks published to the workers; None: running in this process
    thread: threading.Thread | None = None
    stores: int | None = None  # in this process, a per-store job: how many stores it runs for


def spec_of(name: str) -> JobSpec:
    try:
        return registry.get(name)
    except KeyError:
        raise NotFound(f"no job called {name[:80]!r}") from None


def _tick(hub: Hub, spec: JobSpec) -> None:
    try:
        tick(hub, spec)
    except Exception:  # the run's own error is on its job_runs row; this is the fan-out failing
        logger.exception("run now failed", extra={"job": spec.name})


def run_now(hub: Hub, name: str) -> Started:
    spec = spec_of(name)
    if hub.settings.broker_url:
        from hub.tasks.app import current_app
        from hub.tasks.scheduler import fan_out

        queued = fan_out(hub, current_app(hub.settings), spec)
        logger.info("job queued by hand", extra={"job": name, "tasks": queued})
        return Started(name, queued)
    stores = len(active_store_ids(hub.db, spec.platforms)) if spec.per_store else None
    if stores == 0:
        return Started(name, None, None, 0)  # nothing to run: the page says so
    thread = threading.Thread(target=_tick, args=(hub, spec), name=f"run-now:{name}", daemon=True)
    thread.start()
    logger.info("job started by hand", extra={"job": name})
    return Started(name, None, thread, stores)
