"""/jobs: every periodic job with its schedule, its last runs (start, duration, outcome, error),
errors in the last 24 hours and when it runs next; "Run now" fires it by the scheduler's path
(jobs.manual): on the workers with a broker, else in a background thread of this process.

The button's answer waits a moment (RUN_WAIT_SECONDS) so a quick job's outcome is on the page
that follows; a longer one shows as running, and the page reloads itself until it is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.api import session
from hub.api.dashboard import render_page
from hub.api.deps import HubDep
from hub.bootstrap import Hub
from hub.errors import NotFound
from hub.services.job_history import JobHistory, job_history
from jobs.definitions import register_all
from jobs.manual import run_now
from jobs.registry import JobSpec, registry

router = APIRouter(include_in_schema=False)
RUN_WAIT_SECONDS = 2.0
STALE_RUN = timedelta(minutes=10)
DESCRIPTIONS = {
    "orders.pull": "Pull new and changed orders from each store",
    "orders.reconcile": "Re-read recent orders to catch what webhooks missed",
    "webhooks.sweep": "Process stored webhooks not yet handled",
    "orders.route": "Choose suppliers for paid orders; stop supplier orders of cancelled ones",
    "outbox.dispatch": "Deliver waiting calls to suppliers and stores",
    "products.sync": "Read each store's products and map new ones to offers",
    "suppliers.poll": "Ask suppliers for order states and tracking",
    "shipments.watch": "Flag late shipments",
    "suppliers.pull_feed": "Fetch suppliers' feed URLs that are due",
    "store.push_inventory": "Push changed stock to each store",
    "store.push_prices": "Push changed prices to each store",
    "suppliers.write_purchase_orders": "Write purchase-order files for file-based suppliers",
    "payments.pull": "Pull payment transactions and payouts",
    "ledger.orders": "Record changed orders' money in the ledger",
    "fx.pull": "Fetch exchange rates",
    "money.reconcile": "Find money anomalies",
    "housekeeping.prune_job_runs": "Forget job runs older than 30 days",
    "sandbox.tick": "The sandbox shop sells and its suppliers ship",
}


@dataclass(frozen=True)
class JobRow:
    spec: JobSpec
    history: JobHistory
    next_run: datetime | None  # None: at the scheduler's next firing
    exact: bool = False  # read from this process's scheduler; else the last start plus the interval

    @property
    def every(self) -> str:
        seconds = self.spec.interval_seconds
        if seconds >= 3600 and seconds % 3600 == 0:
            return f"every {seconds / 3600:g} h"
        if seconds >= 60 and seconds % 60 == 0:
            return f"every {seconds / 60:g} min"
        return f"every {seconds:g} s"

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.spec.name, "")

    @property
    def anchor(self) -> str:
        return "job-" + self.spec.name.replace(".", "-").replace("_", "-")


def _scheduled(scheduler: Any, name: str) -> datetime | None:
    """When the embedded scheduler (`hub run` keeps it on app.state) fires `name` next, if it runs it."""
    job = scheduler.get_job(name) if scheduler is not None else None
    when = getattr(job, "next_run_time", None)
    return when.astimezone(UTC) if isinstance(when, datetime) else None


def _rows(hub: Hub, now: datetime, scheduler: Any) -> list[JobRow]:
    register_all(hub.settings)  # idempotent: the names the scheduler runs, with their intervals
    found = job_history(hub.db, now)
    rows = []
    for spec in sorted(registry.all(), key=lambda s: s.name):
        history = found.get(spec.name) or JobHistory(spec.name)
        exact = _scheduled(scheduler, spec.name)
        last = history.last
        estimate = max(last.started_at + timedelta(seconds=spec.interval_seconds), now) if last else None
        rows.append(JobRow(spec, history, exact or estimate, exact is not None))
    return rows


def _ran_words(ran: str, queued: str | None, stores: str | None) -> str | None:
    if ran not in registry.names():
        return None
    if queued is not None:
        return (f"{ran}: {queued} run{'' if queued == '1' else 's'} sent to the workers; the outcome shows here "
                "when they finish.")
    if stores == "0":
        return f"{ran} runs for each connected store, and none is connected."
    if stores is not None:
        return f"{ran} started for {stores} store{'' if stores == '1' else 's'}."
    return f"{ran} started."


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, hub: HubDep) -> Response:
    now = datetime.now(UTC)
    rows = _rows(hub, now, getattr(request.app.state, "scheduler", None))
    message = _ran_words(request.query_params.get("ran", ""), request.query_params.get("queued"),
                         request.query_params.get("stores"))
    running = any(run.status == "running" and now - run.started_at < STALE_RUN for row in rows
                  for run in row.history.runs)  # a run whose process died stays "running": not forever
    return render_page(request, "jobs.html", rows=rows, now=now, message=message, running=running,
                       broker=bool(hub.settings.broker_url))


@router.post("/jobs/{name}/run")
def run(request: Request, hub: HubDep, name: str) -> Response:
    if not session.signed_in(request):
        return RedirectResponse("/login?next=/jobs", status_code=303)
    register_all(hub.settings)
    try:
        started = run_now(hub, name)
    except NotFound as exc:
        return render_page(request, "missing.html", status_code=404, what=str(exc).removeprefix("no "))
    if started.thread is not None:
        started.thread.join(RUN_WAIT_SECONDS)  # a quick job's outcome is on the next page
    suffix = (f"&queued={started.queued}" if started.queued is not None
              else f"&stores={started.stores}" if started.stores is not None else "")
    return RedirectResponse(f"/jobs?ran={quote(name)}{suffix}#job-{name.replace('.', '-').replace('_', '-')}",
                            status_code=303)
