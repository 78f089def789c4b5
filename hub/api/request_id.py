"""Request ids: every request gets one (the caller's `X-Request-ID` when it is sane, else a new
one), every log line written while serving it carries it, and the response echoes it, so a user's
report, a proxy's log and the hub's log lines can be matched."""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.logs import bound

HEADER = "X-Request-ID"
# A caller's id is kept only when short and plain: it lands in log lines and a response header.
_SANE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def request_id_of(value: str | None) -> str:
    return value if value and _SANE.match(value) else uuid.uuid4().hex


class RequestId:
    """Pure ASGI middleware (no buffering): binds `request_id` for the logs, echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((value.decode("latin-1") for key, value in scope["headers"]
                      if key.lower() == b"x-request-id"), None)
        request_id = request_id_of(given)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        with bound(request_id=request_id):
            await self.app(scope, receive, send_with_id)
