"""`hub run`: one process serving the API and dashboard and running the scheduler."""

from __future__ import annotations

import logging

import uvicorn

from hub.api.app import create_app
from hub.bootstrap import build_hub
from hub.config import get_settings
from hub.db.migrate import current_revision, head_revision
from hub.errors import UserError
from hub.logs import configure_logging

logger = logging.getLogger(__name__)


def serve(host: str | None = None, port: int | None = None, with_scheduler: bool = True,
          sandbox: bool = False) -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    hub = build_hub(settings)
    current, head = current_revision(hub.db.engine), head_revision(hub.db.engine)
    if current != head:
        raise UserError(f"the database schema is at {current or 'nothing'}, not {head}: run 'hub db upgrade'")
    if settings.admin_token_was_generated():
        # Printed to the operator's terminal once at start; never logged.
        print(f"admin token (from {settings.var_dir / 'admin.token'}): {settings.admin_token_value()}")
    bind_host, bind_port = host or settings.host, port or settings.port
    app = create_app(hub)
    if sandbox:
        from hub.sandbox_mode import SandboxRuntime

        loopback = "127.0.0.1" if bind_host in ("0.0.0.0", "::") else bind_host  # noqa: S104
        runtime = SandboxRuntime(hub, f"http://{loopback}:{bind_port}")
        settings.supplier_poll_interval_seconds = min(settings.supplier_poll_interval_seconds, 20)
        settings.feed_allow_private_urls = True  # the sandbox's suppliers live on this loopback server
        runtime.mount(app)
        runtime.register_job(settings.sandbox_tick_seconds)
        print(f"sandbox shop at http://{loopback}:{bind_port}/sandbox/shopify (store {runtime.store_id}), "
              f"sandbox suppliers at http://{loopback}:{bind_port}/sandbox/suppliers/")
    scheduler = None
    if with_scheduler and settings.scheduler_enabled:
        from jobs.definitions import register_all
        from jobs.scheduler import build_scheduler

        register_all(settings)
        scheduler = build_scheduler(hub)
        scheduler.start()
    logger.info("hub listening", extra={"url": f"http://{bind_host}:{bind_port}", "db": hub.db.dialect})
    try:
        uvicorn.run(app, host=bind_host, port=bind_port, log_level=settings.log_level.lower(),
                    log_config=None)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        hub.close()
