"""What the workers measure and how it is read: task durations and failures, queue depths, and
a worker's own `/metrics` endpoint.

A worker's pool processes are forked from its main process; each keeps its own counters, so with
`hub worker --metrics-port` they write them to files (prometheus-client's multiprocess mode) and
the main process serves the sum. Queue depths are asked of the broker by whoever serves
`/metrics` (the API), at most once per `DEPTH_CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from celery import Celery
from celery.signals import task_postrun, task_prerun
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hub.config import Settings
from hub.crypto import tokens_equal
from hub.metrics import CachedRead
from hub.tasks.queues import QUEUES

logger = logging.getLogger(__name__)

DEPTH_CACHE_SECONDS = 5.0
TASK_SECONDS = Histogram(
    "hub_task_duration_seconds", "Duration of one Celery task run by a worker, by task and outcome.",
    ["task", "outcome"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0))
TASK_FAILURES = Counter("hub_task_failures_total", "Celery task runs that raised, by task.", ["task"])

_started: dict[str, float] = {}
_connected = threading.Lock()
_is_connected = False


def connect_task_metrics() -> None:
    """Time every task this process runs (Celery's signals; connected once)."""
    global _is_connected
    with _connected:
        if _is_connected:
            return
        task_prerun.connect(_before, weak=False)
        task_postrun.connect(_after, weak=False)
        _is_connected = True


def _before(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def _after(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id or "", None)
    if started is None:
        return
    name = str(getattr(task, "name", "unknown"))
    outcome = "failure" if state == "FAILURE" else "success"
    TASK_SECONDS.labels(name, outcome).observe(time.perf_counter() - started)
    if outcome == "failure":
        TASK_FAILURES.labels(name).inc()


def queue_depths(app: Celery, queues: Iterable[str]) -> dict[str, int]:
    """Messages waiting in each named broker queue (0 for one that does not exist yet)."""
    depths: dict[str, int] = {}
    with app.connection_for_read() as connection:
        for name in queues:
            channel = connection.channel()
            try:
                _, count, _ = channel.queue_declare(queue=name, passive=True)
                depths[name] = int(count)
            except Exception:  # not declared yet (no worker ever consumed it): nothing waits there
                depths[name] = 0
            finally:
                try:
                    channel.close()
                except Exception:  # an AMQP channel closed by the broker after a failed passive declare
                    logger.debug("queue channel already closed", extra={"queue": name})
    return depths


def hub_queue_depths(settings: Settings) -> dict[str, int] | None:
    """Depth of each of the hub's queues by its short name; None without a broker."""
    if not settings.broker_url:
        return None
    from hub.tasks.app import current_app, queue_name

    app = current_app(settings)
    names = {queue_name(app, queue): queue for queue in QUEUES}
    return {names[name]: count for name, count in queue_depths(app, names).items()}


class QueueDepthCollector(Collector):
    """`hub_queue_messages{queue}` from the broker, cached; `hub_broker_up` says whether it answered.
    `read` returns None when no broker is configured (then nothing is exported)."""

    def __init__(self, read: Callable[[], dict[str, int] | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ask = read
        self._depths = CachedRead(self._read, DEPTH_CACHE_SECONDS, clock)

    def _read(self) -> dict[str, int] | Exception | None:
        try:
            return self._ask()
        except Exception as exc:  # the scrape still answers; hub_broker_up says why it is empty
            logger.warning("metrics: queue depths unreadable", extra={"error_type": type(exc).__name__})
            return exc

    def collect(self) -> Iterator[Metric]:
        cached = self._depths.get()
        if cached is None:
            return
        depths = None if isinstance(cached, Exception) else cached
        up = GaugeMetricFamily("hub_broker_up", "1 when the last queue-depth query of the broker answered.")
        up.add_metric([], 0 if depths is None else 1)
        yield up
        if depths is not None:
            waiting = GaugeMetricFamily("hub_queue_messages", "Tasks waiting in each broker queue.", labels=["queue"])
            for name, count in sorted(depths.items()):
                waiting.add_metric([name], count)
            yield waiting


def enable_multiprocess(directory: Path) -> CollectorRegistry:
    """Switch this process (before the pool forks) to file-backed metrics in `directory`; the
    registry returned sums every process's files."""
    from prometheus_client import multiprocess, values

    shutil.rmtree(directory, ignore_errors=True)  # a previous run's files would be summed in
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]  # children made from now on write files
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    return registry


def serve_metrics(registry: CollectorRegistry, host: str, port: int, tokens: list[str]) -> Any:
    """A background HTTP server for `registry` behind a bearer token (metric labels name stores
    and suppliers). Returns the server (its `shutdown()` stops it)."""
    exposition = make_wsgi_app(registry)

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scheme, _, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        if scheme.lower() != "bearer" or not any(tokens_equal(token.strip(), t) for t in tokens if t):
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"send 'Authorization: Bearer <HUB_METRICS_TOKEN or HUB_ADMIN_TOKEN>'\n"]
        return exposition(environ, start_response)  # type: ignore[no-any-return]

    class Quiet(WSGIRequestHandler):
        def log_message(self, *_: Any) -> None:  # a scrape every few seconds is not news
            return

    server = make_server(host, port, guarded, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="hub-worker-metrics", daemon=True).start()
    return server
