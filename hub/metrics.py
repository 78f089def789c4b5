"""The hub's Prometheus metrics: instruments of this process, and gauges read from the database.

Counters and histograms (webhook acknowledgement, jobs, and the connectors' remote calls in
`connectors.telemetry`) live in prometheus-client's default registry of this process. The outbox
gauges are the database's truth, so any process may serve them: they are computed at scrape time
by one grouped query, cached for `CACHE_SECONDS` so a burst of scrapes costs one query.
Each process exposes only its own counters: with several processes (workers) each one is scraped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Generic, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from hub.services.backlog import Backlog, outbox_backlog

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

CACHE_SECONDS = 1.0
T = TypeVar("T")
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Shopify gives a webhook 5 s; the goal is milliseconds, so the buckets are fine below 100 ms.
WEBHOOK_ACK_SECONDS = Histogram(
    "hub_webhook_ack_seconds", "Time from a webhook's arrival to its answer (verify and store, no processing).",
    ["platform", "topic", "outcome"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))
JOB_SECONDS = Histogram(
    "hub_job_duration_seconds", "Duration of one job run (leased, recorded in job_runs), by job and outcome.",
    ["job", "status"], buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0))
JOB_FAILURES = Counter("hub_job_failures_total", "Job runs that ended in an error, by job.", ["job"])


def observe_job(job: str, status: str, seconds: float) -> None:
    JOB_SECONDS.labels(job, status).observe(seconds)
    if status == "error":
        JOB_FAILURES.labels(job).inc()


class CachedRead(Generic[T]):
    """`read()` at most once per `seconds` however many scrapes ask (thread-safe)."""

    def __init__(self, read: Callable[[], T], seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._read, self._seconds, self._clock = read, seconds, clock
        self._lock = threading.Lock()
        self._cached: tuple[float, T] | None = None

    def get(self) -> T:
        with self._lock:
            now = self._clock()
            if self._cached is None or now - self._cached[0] >= self._seconds:
                self._cached = (now, self._read())
            return self._cached[1]


class OutboxCollector(Collector):
    """Outbox backlog gauges of one hub's database, read at most once per `CACHE_SECONDS`.
    `hub` is asked for at each read: an app's Hub is set after the app is built (tests do)."""

    def __init__(self, hub: Callable[[], Hub], clock: Callable[[], float] = time.monotonic) -> None:
        self._hub = hub
        self._rows = CachedRead(self._read, CACHE_SECONDS, clock)

    def _read(self) -> list[Backlog] | None:
        try:
            return outbox_backlog(self._hub())
        except SQLAlchemyError as exc:  # the scrape still answers; `up` says the database is down
            logger.warning("metrics: outbox backlog unreadable", extra={"error_type": type(exc).__name__})
            return None

    def collect(self) -> Iterator[Metric]:
        rows = self._rows.get()
        up = GaugeMetricFamily("hub_database_up", "1 when the last metrics query of the database answered.")
        up.add_metric([], 0 if rows is None else 1)
        yield up
        if rows is None:
            return
        count = GaugeMetricFamily("hub_outbox_messages", "Undelivered outbox messages, by kind and state "
                                  "(pending: waiting or being retried; failed: given up).", labels=["kind", "state"])
        age = GaugeMetricFamily("hub_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox message, "
                                "by kind and state (0 when none).", labels=["kind", "state"])
        now = datetime.now(UTC)
        for row in rows:
            count.add_metric([row.kind, row.state], row.count)
            age.add_metric([row.kind, row.state], max(0.0, (now - row.oldest).total_seconds()))
        total = GaugeMetricFamily("hub_outbox_pending", "Pending outbox messages, all kinds.")
        total.add_metric([], sum(row.count for row in rows if row.state == "pending"))
        yield from (count, age, total)


def database_registry(hub: Callable[[], Hub]) -> CollectorRegistry:
    """A registry of the gauges read from the hub's database (one per app, so tests never share it)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector(hub))
    return registry


def render(registries: Iterable[CollectorRegistry]) -> bytes:
    """The Prometheus text exposition of this process's instruments, then of each given registry."""
    return b"".join(generate_latest(registry) for registry in (REGISTRY, *registries))
