"""/docs served from the hub's own files, so the API docs work offline and behind a firewall.

FastAPI's default pages load Swagger UI and ReDoc from a CDN (a blank page without internet); the
`fastapi-offline` package ships Swagger UI 5 (which reads OpenAPI 3.1), mounted here. ReDoc is not
offered: its page still loads its logo from its vendor's host.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static/apidocs"


def assets_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Mount the bundle and the page (the app is built with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="apidocs")
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=title,
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon.png")
        body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)  # screen readers need the language
        return HTMLResponse(body)

