"""One guard in front of every route: bounded bodies, sane JSON, no NUL byte anywhere.

A pure ASGI middleware, so it runs before FastAPI parses anything:
- a body over the route's limit is 413 (declared by Content-Length or counted while streaming);
- an /api/v1 body that is not JSON is 415; JSON that is not UTF-8 or does not parse is 422 with the
  line and column; JSON nested deeper than MAX_JSON_DEPTH is 422 (checked before parsing, so a
  100,000-deep body never reaches a recursive parser);
- a NUL byte or a lone surrogate in the path, the query or any JSON string is 422 naming where.
Bodies are guarded under /api/. Two routes judge their own bodies: the supplier feed push (streamed,
any format, HUB_FEED_MAX_BYTES) and the Shopify webhook (HUB_WEBHOOK_MAX_BYTES; a signed delivery is
stored as it came and judged when processed). GET/HEAD/OPTIONS routes read no body: only the path
and query are checked there. The sandboxes `hub run --sandbox` mounts under /sandbox/ are left alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.errors import error_body

MAX_JSON_DEPTH = 64
OWN_BODY_RULES = re.compile(r"^(/api/v1/suppliers/[^/]+/feed|/webhooks/.*)$")  # read with their own limits
GUARDED_BODIES = re.compile(r"^/api/")  # the dashboard's small forms and mounted sandboxes: not ours
_BRACKETS = re.compile(rb'["\\\[\]{}]')


class Rejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays/objects nest deeper than `limit` (brackets inside strings do not count)."""
    depth, in_string, escaped_at = 0, False, -2
    for match in _BRACKETS.finditer(body):
        char, at = match.group(), match.start()
        if in_string:
            if char == b"\\":
                escaped_at = at if escaped_at != at - 1 else -2  # "\\" escapes itself
            elif char == b'"' and escaped_at != at - 1:
                in_string = False
        elif char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def bad_text(value: str) -> str | None:
    """Why `value` cannot be stored as text (a NUL byte, a lone surrogate), or None."""
    if "\x00" in value:
        return "must not contain a NUL byte"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (lone surrogate)"
    return None


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}" if path else str(key), key
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def check_json(body: bytes) -> None:
    """Raise Rejected unless `body` is UTF-8 JSON, nested at most MAX_JSON_DEPTH, with clean strings."""
    if json_too_deep(body):
        raise Rejected(422, "invalid", f"body is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(422, "invalid", f"body is not valid JSON: not UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Rejected(422, "invalid", f"body is not valid JSON: {exc.msg} "
                                       f"(line {exc.lineno}, column {exc.colno})") from None
    for where, value in _strings(document, ""):
        reason = bad_text(value)
        if reason:
            raise Rejected(422, "invalid", f"{where or 'body'}: {reason}")


def check_url(scope: Scope) -> None:
    path = scope.get("path", "")
    if bad_text(path):
        raise Rejected(422, "invalid", f"path: {bad_text(path)}")
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        reason = bad_text(name) or bad_text(value)
        if reason:
            raise Rejected(422, "invalid", f"query parameter {unquote(name)[:40]!r}: {reason}")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class InputGuard:
    """ASGI middleware: see the module docstring. Limits are the settings of the app's Hub."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/sandbox/"):  # emulators mounted in `hub run`
            await self.app(scope, receive, send)
            return
        try:
            check_url(scope)
            if (scope["method"] in ("GET", "HEAD", "OPTIONS") or OWN_BODY_RULES.match(scope["path"])
                    or not GUARDED_BODIES.match(scope["path"])):
                await self.app(scope, receive, send)
                return
            body = await self._read(scope, receive)
        except Rejected as rejected:
            response = JSONResponse(error_body(rejected.code, rejected.message), status_code=rejected.status)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, bounded by the route's limit, checked when it is JSON."""
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        limit = scope["app"].state.hub.settings.api_max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Rejected(413, "payload_too_large", f"the body is larger than the limit of {limit} bytes")
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: let the app see it
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise Rejected(413, "payload_too_large", f"the body is larger than the limit of {limit} bytes")
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        if not body:
            return body
        content_type = headers.get("content-type", "")
        if _is_json(content_type):
            check_json(body)
        else:
            raise Rejected(415, "unsupported_media_type", f"unsupported Content-Type "
                           f"{content_type.split(';')[0] or '(none)'!r}: send the body as application/json")
        return body


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # http.disconnect when the client goes away

    return replay
