"""The Celery app built from settings, its two tasks, and publishing.

Tasks carry ids only and claim before they act: `hub.deliver` is one outbox attempt through the
outbox's own lease claim (a message another worker holds is skipped), `hub.job` is one run of a
(job, store) through its database lease. Neither retries in Celery: a failed attempt is recorded
by the outbox with its backoff and republished by the relay when due, so no second attempt can
start while the first still holds its lease.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from celery import Celery
from kombu.entity import Queue

from connectors.http import ATTEMPT_ALLOWANCE_SECONDS, retries_until
from hub.bootstrap import Hub, build_hub
from hub.config import Settings, get_settings
from hub.services import outbox, wakeups
from hub.tasks.publisher import BackgroundPublisher
from hub.tasks.queues import INTAKE, QUEUES, ROUTING, queue_for_job, queue_for_kind
from hub.tasks.telemetry import connect_task_metrics

logger = logging.getLogger(__name__)

DELIVER_TASK = "hub.deliver"
JOB_TASK = "hub.job"
REACT_TASK = "hub.react"
INTAKE_TASK = "hub.intake"
SUPPLIER_JOB_TASK = "hub.supplier_job"

_lock = threading.Lock()
_worker_hub: tuple[int, Hub] | None = None
_app: tuple[str, Celery] | None = None


def broker_url(settings: Settings) -> str | None:
    return settings.broker_url or None


def make_app(url: str, settings: Settings | None = None) -> Celery:
    """A Celery app on `url` with the hub's queues and delivery guarantees."""
    settings = settings or get_settings()
    app = Celery("hub", broker=url, set_as_current=False)
    prefix = settings.broker_queue_prefix
    app.conf.update(
        hub_queue_prefix=prefix,
        task_queues=[Queue(prefix + name) for name in QUEUES],  # type: ignore[no-untyped-call]
        task_default_queue=prefix + ROUTING,
        task_serializer="json", accept_content=["json"],
        task_ignore_result=True, result_backend=None,
        task_acks_late=True,  # acknowledged after the task ran: a killed worker's task comes back
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # one task at a time per process: a slow supplier holds no others
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # Publishing runs after a commit, on the caller's time: fail fast, the relay makes up for it.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2},
        # Redis redelivers an unacknowledged task after this; the outbox lease decides who works.
        broker_transport_options={"visibility_timeout": max(60, settings.outbox_lease_seconds * 2)},
    )
    connect_task_metrics()
    app.task(name=DELIVER_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)(_deliver)
    app.task(name=JOB_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)(_job)
    app.task(name=REACT_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)(_react)
    app.task(name=INTAKE_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)(_intake)
    app.task(name=SUPPLIER_JOB_TASK, acks_late=True, reject_on_worker_lost=True, max_retries=0)(_supplier_job)
    return app


def current_app(settings: Settings | None = None) -> Celery:
    """This process's app for HUB_BROKER_URL (built once per URL)."""
    global _app
    settings = settings or get_settings()
    url = broker_url(settings)
    if url is None:
        raise RuntimeError("HUB_BROKER_URL is not set")
    with _lock:
        if _app is None or _app[0] != url:
            _app = (url, make_app(url, settings))
        return _app[1]


def queue_name(app: Celery, queue: str) -> str:
    """The broker's name of one of the hub's queues (HUB_BROKER_QUEUE_PREFIX + queue)."""
    return f"{app.conf.get('hub_queue_prefix') or ''}{queue}"


def publish_messages(app: Celery, messages: list[tuple[int, str]]) -> None:
    for message_id, kind in messages:
        app.send_task(DELIVER_TASK, args=[message_id], queue=queue_name(app, queue_for_kind(kind)))


def publish_job(app: Celery, name: str, store_id: int | None, expires: float | None = None) -> None:
    """One run of a job; `expires` (seconds): a worker drops it unstarted after that (the next firing
    brings another), so firings queued behind a backlog do not pile up."""
    app.send_task(JOB_TASK, args=[name, store_id], queue=queue_name(app, queue_for_job(name)), expires=expires)


def publish_supplier_job(app: Celery, name: str, supplier_id: int, expires: float | None = None) -> None:
    app.send_task(SUPPLIER_JOB_TASK, args=[name, supplier_id], queue=queue_name(app, queue_for_job(name)),
                  expires=expires)


def publish_wakeups(app: Celery, pending: list[wakeups.Wakeup]) -> None:
    """Outbox messages to their kind's queue; orders intake touched to routing, in one task;
    stored webhook deliveries to intake, in one task."""
    messages = [(int(str(args[0])), str(args[1])) for kind, args in pending if kind == wakeups.OUTBOX]
    orders = [int(str(order_id)) for kind, args in pending if kind == wakeups.ORDERS for order_id in args]
    deliveries = [int(str(args[0])) for kind, args in pending if kind == wakeups.DELIVERY]
    if deliveries:
        app.send_task(INTAKE_TASK, args=[deliveries], queue=queue_name(app, INTAKE))
    if orders:
        app.send_task(REACT_TASK, args=[orders], queue=queue_name(app, ROUTING))
    publish_messages(app, messages)


def install_publisher(app: Celery, *, background: bool = False) -> None:
    """From now on, what commits in this process (outbox messages, new orders) wakes `app`'s workers;
    `background` (the API process) publishes from a thread, off the request's time."""
    def publish(pending: list[wakeups.Wakeup]) -> None:
        publish_wakeups(app, pending)

    wakeups.set_publisher(BackgroundPublisher(publish) if background else publish)


def worker_hub() -> Hub:
    """The Hub of this worker process (built after the fork: each pool process its own engine)."""
    global _worker_hub
    with _lock:
        if _worker_hub is None or _worker_hub[0] != os.getpid():
            settings = get_settings()
            _worker_hub = (os.getpid(), build_hub(settings))
    install_publisher(current_app())
    return _worker_hub[1]


def _deliver(message_id: int) -> str:
    hub = worker_hub()
    # The lease starts at the claim, a moment after this: the deadline is a little early, never late.
    deadline = time.monotonic() + hub.settings.outbox_lease_seconds - ATTEMPT_ALLOWANCE_SECONDS
    with retries_until(deadline):
        outcome = outbox.deliver(hub, int(message_id), due_only=True)
    logger.info("outbox task", extra={"message_id": message_id, "outcome": outcome})
    return outcome


def _react(order_ids: list[int]) -> int:
    """Route orders right after intake (each order's routing claim makes a repeat a no-op)."""
    from hub.services.routing import react_to_orders

    react_to_orders(worker_hub(), [int(order_id) for order_id in order_ids])
    return len(order_ids)


def _intake(delivery_ids: list[int] | int) -> dict[str, int]:
    """Process stored webhook deliveries, oldest first (each one's claim makes a duplicate wake-up
    a no-op, and a killed worker's batch comes back whole: what it finished is skipped)."""
    from hub.services.webhooks import process_many

    ids = [delivery_ids] if isinstance(delivery_ids, int) else delivery_ids
    return process_many(worker_hub(), sorted(int(i) for i in ids))


def _supplier_job(name: str, supplier_id: int) -> str:
    from hub.tasks.supplier_jobs import run_for_supplier

    return run_for_supplier(worker_hub(), name, int(supplier_id))


def _job(name: str, store_id: int | None) -> dict[str, Any]:
    from jobs.definitions import register_all
    from jobs.registry import registry
    from jobs.runner import run_job

    hub = worker_hub()
    register_all(hub.settings)
    result = run_job(hub, registry.get(name), store_id)
    return {"status": result.status, "counts": result.counts}
