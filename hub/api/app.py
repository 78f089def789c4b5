"""The FastAPI application: health, dashboard pages, the admin API, and mounted sandboxes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hub import __version__
from hub.api import health, mappings, money, orders, shopify_oauth, stores, v1, webhooks
from hub.api.errors import install_error_handlers
from hub.bootstrap import Hub

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(hub: Hub) -> FastAPI:
    app = FastAPI(title="the hub", version=__version__,
                  description="Dropshipping integration hub: orders, suppliers, stock, tracking, profit.")
    app.state.hub = hub
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(v1.router)
    app.include_router(orders.router)
    app.include_router(stores.router)
    app.include_router(mappings.router)
    app.include_router(money.router)
    app.include_router(webhooks.router)
    app.include_router(shopify_oauth.router)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, "index.html", {"version": __version__})

    return app
