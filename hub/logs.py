"""Logging set-up: text or JSON lines, with secrets redacted from structured fields."""

from __future__ import annotations

import functools
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_STANDARD_ATTRS = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {
    "message", "asctime", "color_message", "taskName"}
_SECRET_KEYS = ("token", "secret", "password", "authorization", "api_key", "apikey", "hmac")


# PostgreSQL's DETAIL line repeats the failing row or key ("Failing row contains (…, jane@example.com, …)"):
# customer data that SQLAlchemy's hide_parameters does not reach. The error line above it stays.
_DETAIL = re.compile(r"^DETAIL:.*$", re.MULTILINE)
_SQL_PARAMETERS = re.compile(r"^\[parameters: .*$", re.MULTILINE)


def scrub(text: str) -> str:
    """Text of a log line without the parts of a database error that can carry customer data."""
    if "DETAIL:" in text:
        text = _DETAIL.sub("DETAIL: (hidden: it can hold customer data)", text)
    if "[parameters: " in text:
        text = _SQL_PARAMETERS.sub("[SQL parameters hidden]", text)
    return text


def _redact(key: str, value: Any) -> Any:
    return "***" if any(word in key.lower() for word in _SECRET_KEYS) else value


# What the current request or job is about (request id, order id, job name), set by the request
# middleware, the job runner and services that work on one order. A ContextVar follows each asyncio
# task and each thread started with a copied context, so concurrent requests never mix them up.
_CONTEXT: ContextVar[dict[str, Any]] = ContextVar("hub_log_context", default={})  # noqa: B039 (never mutated)


def log_context() -> dict[str, Any]:
    """The fields every log line of this request or job carries."""
    return dict(_CONTEXT.get())


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add fields (e.g. order_id=…, job=…) to every log line written inside the block."""
    token = _CONTEXT.set({**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def with_context(fields: Callable[P, dict[str, Any]]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator: every log line written inside the call carries `fields(*args)`, e.g.
    `@with_context(lambda hub, order_id: {"order_id": order_id})`."""
    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with bound(**fields(*args, **kwargs)):
                return func(*args, **kwargs)
        return wrapper
    return decorate


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    fields = {k: v for k, v in _CONTEXT.get().items() if not hasattr(record, k)}
    fields.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
    return {k: _redact(k, v) for k, v in fields.items()}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            **_extras(record),
        }
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = _extras(record)
        if extras:
            text += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return scrub(text)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
