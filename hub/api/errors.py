"""One error shape for every response: {"error": {"code": ..., "message": ...}}; never a traceback."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.api.params import PATTERN_RULES
from hub.errors import BadRequest, Conflict, NotFound, UserError

logger = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
          415: "unsupported_media_type", 422: "invalid", 429: "rate_limited", 503: "unavailable"}


class ApiError(Exception):
    """Raised by routes for a user's mistake: status, stable code and a clear message."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code or _CODES.get(status, "error")


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: a stable code for programs, a message for people."""

    error: ErrorDetail


_DESCRIPTIONS = {400: "Bad request (e.g. a garbled cursor)", 401: "Missing or invalid token",
                 403: "The key may not act for this supplier", 404: "Not found", 409: "Conflict with the current state",
                 413: "Body over the size limit", 415: "Unsupported Content-Type",
                 422: "Invalid input: the message names the field and the reason"}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer, all in the ErrorBody shape."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


def _path(loc: Sequence[object]) -> str:
    """('body', 'lines', 0, 'sku') → 'lines[0].sku'; ('query', 'status') → 'status'."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _reason(error: Mapping[str, Any]) -> str:
    kind, ctx = str(error.get("type", "")), error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "string_pattern_mismatch":
        return PATTERN_RULES.get(str(ctx.get("pattern")), f"does not have the expected form ({ctx.get('pattern')})")
    if kind == "string_unicode":
        return "is not valid Unicode text"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected', '')} (got {error.get('input')!r:.60})"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    message = str(error.get("msg", "is invalid"))
    return message[:1].lower() + message[1:]


def describe(error: Mapping[str, Any], body: object = None) -> str:
    """One readable line for a pydantic/FastAPI error: the field path and the reason."""
    if error.get("type") == "json_invalid":  # FastAPI's own parse (the guard parses JSON first)
        return f"body is not valid JSON: {(error.get('ctx') or {}).get('error', 'cannot parse')}"
    where = _path(error.get("loc", ()))
    return f"{where}: {_reason(error)}" if where else f"body {_reason(error)}"


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI documents for `path` (routers are included lazily: no flat route list)."""
    templates: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "allowed_methods", None)
    if templates is None:
        templates = [(re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"),
                      sorted(method.upper() for method in operations))
                     for template, operations in app.openapi().get("paths", {}).items()]
        app.state.allowed_methods = templates
    return sorted({method for regex, methods in templates if regex.match(path) for method in methods})


_MACHINE_PREFIXES = ("/api/", "/webhooks", "/supplier", "/health", "/metrics", "/openapi")


def _wants_a_page(request: Request) -> bool:
    """A person's browser asking for an unknown page gets a page with links, not a JSON body."""
    path = request.url.path
    return (request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
            and not path.startswith(_MACHINE_PREFIXES))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(UserError)
    async def _user_error(_: Request, exc: UserError) -> JSONResponse:
        # Services raise UserError for a fixable mistake: the same message the CLI prints.
        status = (404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict)
                  else 400 if isinstance(exc, BadRequest) else 422)
        return JSONResponse(error_body(_CODES[status], str(exc)), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_a_page(request):
            from hub.api.dashboard import not_found_page  # the dashboard imports this module

            return not_found_page(request)
        code = _CODES.get(exc.status_code, "error")
        headers = dict(getattr(exc, "headers", None) or {})
        message = str(exc.detail)
        allowed = _allowed_methods(request.app, request.url.path) if exc.status_code == 405 else []
        if allowed:  # every method of the path, not only those of the route matched first
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed here; use {' or '.join(allowed)}"
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        message = "; ".join(describe(e) for e in errors[:10])
        if len(errors) > 10:
            message += f"; and {len(errors) - 10} more"
        return JSONResponse(error_body("invalid", message or "invalid request"), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled error", extra={"path": request.url.path}, exc_info=exc)
        return JSONResponse(error_body("internal", "internal error; see the hub's log"), status_code=500)


def complete_error_responses(document: dict[str, Any]) -> None:
    """Every operation documents the errors every route can give, in the ErrorBody shape.

    Applied to the generated OpenAPI, so a router added later is covered too: /api/v1 answers 401
    without the token and 422 for input the guard or the types refuse; a route with a body 413 and
    415 (the guard); an error status declared with a description alone gets the schema.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", ErrorDetail.model_json_schema())
    schemas.setdefault("ErrorBody", ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}"))
    schemas["ErrorBody"].pop("$defs", None)
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            wanted = [422] + ([401] if path.startswith("/api/v1") else [])
            if "requestBody" in operation and path.startswith("/api/"):
                wanted += [413, 415]
            for status in wanted:
                answers.setdefault(str(status), {"description": _DESCRIPTIONS[status]})
            for status, answer in answers.items():
                if status.startswith(("4", "5")):
                    content = answer.get("content", {}).get("application/json", {})
                    if not content.get("schema") or "HTTPValidationError" in str(content.get("schema")):
                        answer["content"] = body
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
