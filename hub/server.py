"""`hub run`: one process serving the API and dashboard and running the scheduler."""

from __future__ import annotations

import errno
import gc
import logging
import socket
import sys

import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler

from hub.api.app import create_app
from hub.bootstrap import Hub, build_hub
from hub.config import Settings, get_settings
from hub.db.migrate import current_revision, head_revision
from hub.errors import UserError
from hub.logs import configure_logging

logger = logging.getLogger(__name__)


def serve(host: str | None = None, port: int | None = None, with_scheduler: bool = True,
          sandbox: bool = False) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    bind_host = host or settings.host
    # Bound before anything starts, so a port in use is one line and exit 2, not "listening" then an errno.
    listener = bind(bind_host, port or settings.port, "--port" if port else "HUB_PORT",
                    "--host" if host else "HUB_HOST")
    bind_port = listener.getsockname()[1]
    hub = build_hub(settings)
    current, head = current_revision(hub.db.engine), head_revision(hub.db.engine)
    if current != head:
        raise UserError(f"the database schema is at {current or 'nothing'}, not {head}: run 'hub db upgrade'")
    app = create_app(hub)
    sandbox_lines: list[str] = []
    if sandbox:
        from hub.sandbox_mode import SandboxRuntime

        loopback = "127.0.0.1" if bind_host in ("0.0.0.0", "::") else bind_host  # noqa: S104
        runtime = SandboxRuntime(hub, f"http://{loopback}:{bind_port}")
        sandbox_overrides(settings)
        runtime.mount(app)
        runtime.register_job(settings.sandbox_tick_seconds)
        sandbox_lines = [f"sandbox shop       http://{loopback}:{bind_port}/sandbox/shopify (store {runtime.store_id})",
                         f"sandbox suppliers  http://{loopback}:{bind_port}/sandbox/suppliers/"]
        if len(runtime.shops) > 1:
            sandbox_lines.insert(1, f"sandbox shops 2-{len(runtime.shops)} http://{loopback}:{bind_port}"
                                    f"/sandbox/shopify-N (stores {', '.join(map(str, runtime.store_ids[1:]))})")
    scheduler = None
    if settings.broker_url is not None:  # the work runs on `hub worker`, enqueued by `hub scheduler`
        scheduler = _broker_mode(hub, settings, sandbox)
    elif with_scheduler and settings.scheduler_enabled:
        from hub.tasks import local
        from jobs.definitions import register_all
        from jobs.scheduler import build_scheduler

        local.install(hub)  # webhooks answered once stored; intake, routing and placement right after

        register_all(settings)
        scheduler = build_scheduler(hub)
        scheduler.start()
    app.state.scheduler = scheduler  # the jobs page reads when each job fires next
    logger.info("hub listening", extra={"url": f"http://{bind_host}:{bind_port}", "db": hub.db.dialect})
    print(banner(settings.admin_token_value(), settings.admin_token_was_generated(),
                 str(settings.var_dir / "admin.token"), _browsable(bind_host), bind_port,
                 sandbox_lines), file=sys.stderr, flush=True)
    # What start-up built lives as long as the process: out of the collector's way, so a full
    # collection walks only what requests create (a webhook's answer never waits tens of ms for it).
    gc.collect()
    gc.freeze()
    config = uvicorn.Config(app, log_level=settings.log_level.lower(), log_config=None)
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        hub.close()


def _broker_mode(hub: Hub, settings: Settings, sandbox: bool) -> BackgroundScheduler | None:
    """Serve only: publish what commits here, leave the jobs to `hub scheduler`. The sandbox shop
    lives in this process, so its selling tick (and only that) is scheduled here."""
    from hub.tasks.app import current_app, install_publisher
    from jobs.registry import JobRegistry, registry
    from jobs.scheduler import build_scheduler

    install_publisher(current_app(settings), background=True)
    logger.info("broker configured: serving the API only (run 'hub worker' and 'hub scheduler')")
    if not sandbox:
        return None
    local = JobRegistry()
    local.register(registry.get("sandbox.tick"))
    scheduler = build_scheduler(hub, local)
    scheduler.start()
    return scheduler


SANDBOX_SUPPLIER_POLL_SECONDS = 20.0  # sandbox suppliers ship within half a minute: poll them often


def sandbox_overrides(settings: Settings) -> dict[str, float]:
    """Set the intervals `--sandbox` runs faster; returns job name → the interval it replaced."""
    replaced: dict[str, float] = {}
    if settings.supplier_poll_interval_seconds > SANDBOX_SUPPLIER_POLL_SECONDS:
        replaced["suppliers.poll"] = settings.supplier_poll_interval_seconds
        settings.supplier_poll_interval_seconds = SANDBOX_SUPPLIER_POLL_SECONDS
    settings.feed_allow_private_urls = True  # the sandbox's suppliers live on this loopback server
    return replaced


def bind(host: str, port: int, option: str, host_option: str = "HUB_HOST") -> socket.socket:
    """A listening socket on host:port, or a UserError naming the option when it cannot be had."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UserError(f"{host_option}: cannot listen on {host!r}: {exc.strerror}") from exc
    family, kind, proto, _, address = infos[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"{option}: port {port} on {host} is already in use (stop the other process or "
                            f"choose another, e.g. {option}{'=' if option.startswith('HUB_') else ' '}{port + 1})"
                            ) from exc
        raise UserError(f"{option}: cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    listener.set_inheritable(True)
    return listener


def _browsable(host: str) -> str:
    """The address to open in a browser: a wildcard bind is reached through the loopback."""
    if host in ("0.0.0.0", ""):  # noqa: S104
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def banner(token: str, generated: bool, token_file: str, host: str, port: int, extra: list[str]) -> str:
    """The few lines a newcomer needs, framed so they stand out from the log lines around them."""
    base = f"http://{host}:{port}"
    token_line = (f"admin token        {token}   (stored in {token_file})" if generated
                  else "admin token        the value of HUB_ADMIN_TOKEN")
    lines = [f"dashboard          {base}/", f"API docs           {base}/docs", token_line, *extra,
             "stop with Ctrl+C"]
    rule = "=" * max(len(line) for line in lines)
    return "\n".join(["", rule, "the hub is running", *lines, rule, ""])
