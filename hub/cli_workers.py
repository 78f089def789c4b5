"""`hub worker` and `hub scheduler`: the processes of the Celery mode (HUB_BROKER_URL)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from typing import Annotated

import typer

from hub.config import Settings, get_settings
from hub.errors import UserError
from hub.logs import configure_logging

logger = logging.getLogger(__name__)


def _require_broker(settings: Settings, command: str) -> None:
    if settings.broker_url is None:
        raise UserError(f"HUB_BROKER_URL is not set: 'hub {command}' needs a broker (redis://… or amqp://…); "
                        "without one, 'hub run' does all the work in one process")


def worker(
    queues: Annotated[str | None, typer.Option(help="Comma-separated queues to consume (default: all): "
                                                    "intake, routing, placement, store_sync, feeds, money.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    metrics_port: Annotated[int | None, typer.Option(min=1, max=65535, help=(
        "Serve this worker's /metrics (task durations, supplier and store calls) on this port, "
        "behind HUB_METRICS_TOKEN or the admin token."))] = None,
    metrics_host: Annotated[str, typer.Option(help="Address the metrics port listens on.")] = "127.0.0.1",
) -> None:
    """Run a Celery worker: delivers outbox messages and runs the jobs the scheduler enqueues."""
    from hub.tasks.app import current_app, queue_name
    from hub.tasks.queues import parse_queues

    settings = get_settings()
    _require_broker(settings, "worker")
    try:
        names = parse_queues(queues)
    except ValueError as exc:
        raise UserError(f"--queues: {exc}") from exc
    configure_logging(settings.log_level, settings.log_format)
    if metrics_port is not None:
        _serve_worker_metrics(settings, metrics_host, metrics_port)
    app = current_app(settings)
    consumed = ",".join(queue_name(app, name) for name in names)
    app.worker_main(["worker", "--queues", consumed, "--concurrency", str(concurrency),
                     "--loglevel", settings.log_level, "--hostname", f"hub-{os.getpid()}@{socket.gethostname()}",
                     "--without-gossip", "--without-mingle"])


def _serve_worker_metrics(settings: Settings, host: str, port: int) -> None:
    from hub.tasks.telemetry import enable_multiprocess, serve_metrics

    registry = enable_multiprocess(settings.var_dir / "metrics" / f"worker-{os.getpid()}")
    tokens = [settings.metrics_token.get_secret_value() if settings.metrics_token else "",
              settings.admin_token_value()]
    try:
        serve_metrics(registry, host, port, tokens)
    except OSError as exc:
        raise UserError(f"--metrics-port {port}: cannot listen on {host}:{port} ({exc.strerror or exc})") from exc
    print(f"worker metrics on http://{host}:{port}/metrics", file=sys.stderr, flush=True)


def scheduler() -> None:
    """Enqueue the periodic work while holding the scheduler lease (run two: one stands by)."""
    from hub.bootstrap import build_hub
    from hub.tasks import scheduler as leased
    from hub.tasks.app import current_app, install_publisher

    settings = get_settings()
    _require_broker(settings, "scheduler")
    configure_logging(settings.log_level, settings.log_format)
    hub = build_hub(settings)
    app = current_app(settings)
    install_publisher(app)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        leased.run(hub, app, stop)
    finally:
        hub.close()
