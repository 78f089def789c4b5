"""The FastAPI application: health, dashboard pages, the admin API, and mounted sandboxes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from hub import __version__
from hub.api import (
    apidocs,
    attention_api,
    dashboard,
    dashboard_expenses,
    dashboard_money,
    dashboard_profit,
    expenses,
    health,
    mappings,
    metrics,
    money,
    orders,
    pages_attention,
    pages_catalogue,
    pages_jobs,
    pages_portal,
    pages_stores,
    pages_suppliers,
    payouts,
    shopify_oauth,
    stores,
    supplier_feeds,
    supplier_shipments,
    suppliers,
    v1,
    webhook_admin,
    webhooks,
)
from hub.api.csrf import OriginCheck
from hub.api.errors import complete_error_responses, install_error_handlers
from hub.api.guard import InputGuard
from hub.api.params import exact_integer_bounds
from hub.api.request_id import RequestId
from hub.api.signin_limit import AttemptLimiter
from hub.bootstrap import Hub
from hub.metrics import database_registry
from hub.tasks.telemetry import QueueDepthCollector, hub_queue_depths


def create_app(hub: Hub) -> FastAPI:
    app = FastAPI(title="the hub", version=__version__, docs_url=None, redoc_url=None,
                  description="Dropshipping integration hub: orders, suppliers, stock, tracking, profit.")
    app.state.hub = hub
    app.state.signin_limiter = AttemptLimiter()  # failed sign-ins per address: admin and supplier portal
    app.state.database_metrics = database_registry(lambda: app.state.hub)
    app.state.database_metrics.register(QueueDepthCollector(lambda: hub_queue_depths(app.state.hub.settings)))
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build_openapi()  # cached by FastAPI: fixed in place
            exact_integer_bounds(document)
            complete_error_responses(document)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    install_error_handlers(app)
    app.add_middleware(InputGuard)
    app.add_middleware(OriginCheck)  # page forms only from our own pages
    app.add_middleware(RequestId)  # outermost: even a guard's refusal carries the id
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_profit.router)
    apidocs.install(app)
    app.include_router(dashboard_money.router)
    app.include_router(dashboard_expenses.router)
    app.include_router(pages_attention.router)
    app.include_router(pages_stores.router)
    app.include_router(pages_jobs.router)
    app.include_router(pages_catalogue.router)
    app.include_router(pages_portal.router)
    app.include_router(pages_suppliers.router)
    app.include_router(v1.router)
    app.include_router(orders.router)
    app.include_router(stores.router)
    app.include_router(mappings.router)
    app.include_router(attention_api.router)
    app.include_router(money.router)
    app.include_router(payouts.router)
    app.include_router(expenses.router)
    app.include_router(webhooks.router)
    app.include_router(webhook_admin.router)
    app.include_router(shopify_oauth.router)
    app.include_router(suppliers.router)
    app.include_router(supplier_feeds.router)
    app.include_router(supplier_shipments.router)
    return app
