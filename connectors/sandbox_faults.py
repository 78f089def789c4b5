"""Network faults for the sandboxes, as a layer around them: the shop and the suppliers stay plain.

Why a layer: the faults a remote system shows the hub are faults of the wire — a 429 with
Retry-After, a 502 from a proxy, a request that never got an answer, an answer lost after the work
was done, a slow answer. They are the same for every sandbox, so one seeded plan wraps any of them,
in-process (`FaultyTransport` around an httpx transport) or over HTTP (`FaultMiddleware` around
an ASGI app), and counts what it injected so a test can prove each kind really fired.

Kinds (each with its own probability per request, drawn in this order from one seeded RNG;
`slow` is drawn on its own and may come with any other):

- ``429``: answered 429 with `Retry-After: retry_after`; the request is not passed on.
- ``5xx``: answered 502, 503 or 504 in turn; not passed on.
- ``timeout``: no answer and no work: in-process the transport raises httpx.ReadTimeout; over
  HTTP the middleware stalls `stall_seconds`, then answers 504, never calling the app.
- ``lost``: the work IS done, then the answer is lost: in-process the transport raises
  httpx.RemoteProtocolError (the connection dropped); over HTTP the app's answer is cut short
  mid-body and the connection closed. The worst case for exactly-once.
- ``slow``: the answer comes `slow_seconds` late, through the injected `sleep` (tests pass a fake).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

FAULT_KINDS = ("429", "5xx", "timeout", "lost", "slow")
FAILING_KINDS = ("429", "5xx", "timeout", "lost")  # drawn exclusively, in this order

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class FaultPlan:
    """Probability per request of each kind, the seed of the draws, and the fault's parameters."""

    rates: Mapping[str, float] = field(default_factory=dict)
    seed: int = 1
    retry_after: float = 1.0
    slow_seconds: float = 2.0
    stall_seconds: float = 5.0  # over HTTP: how long a `timeout` stalls before its 504

    def __post_init__(self) -> None:
        unknown = set(self.rates) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {', '.join(FAULT_KINDS)}")
        for kind, rate in self.rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate for {kind} must be within [0, 1], got {rate}")
        for name in ("retry_after", "slow_seconds", "stall_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")

    @classmethod
    def every_kind(cls, rate: float, seed: int = 1, **params: Any) -> FaultPlan:
        """Every kind at the same `rate` (e.g. 0.2: each kind on a fifth of the requests)."""
        return cls(rates=dict.fromkeys(FAULT_KINDS, rate), seed=seed, **params)

    @classmethod
    def parse(cls, text: str, seed: int = 1, **params: Any) -> FaultPlan:
        """'429=0.2,lost=0.1' (or a bare '0.2' for every kind); ValueError with the reason if bad."""
        text = text.strip()
        if not text:
            return cls(seed=seed, **params)
        try:
            return cls.every_kind(float(text), seed, **params)
        except ValueError as exc:
            if "must" in str(exc):
                raise
        rates: dict[str, float] = {}
        for item in text.split(","):
            kind, sep, value = item.strip().partition("=")
            if not sep:
                raise ValueError(f"expected KIND=RATE, got {item.strip()!r}")
            try:
                rates[kind.strip()] = float(value)
            except ValueError:
                raise ValueError(f"rate {value.strip()!r} of {kind.strip()} is not a number") from None
        return cls(rates=rates, seed=seed, **params)


@dataclass(frozen=True)
class Draw:
    kind: str | None  # one of FAILING_KINDS, or None: the request goes through
    slow: bool


class FaultInjector:
    """Draws faults from a seeded RNG (thread-safe) and counts what it injected, per kind.

    `exempt` paths (exact, or prefixes ending in '/') are never faulted: a sandbox's control
    endpoints, which stand for the test's own hand rather than the remote system.
    """

    def __init__(self, plan: FaultPlan, *, sleep: Callable[[float], None] = time.sleep,
                 exempt: Iterable[str] = ()) -> None:
        self.plan = plan
        self.sleep = sleep
        self.exempt = tuple(exempt)
        self.counts: Counter[str] = Counter()
        self.hits: Counter[tuple[str, str]] = Counter()  # (kind, "METHOD /path [GraphQL operation]")
        self._rng = random.Random(plan.seed)
        self._lock = threading.Lock()

    def is_exempt(self, path: str) -> bool:
        return any(path == p or (p.endswith("/") and path.startswith(p)) for p in self.exempt)

    def draw(self, path: str = "") -> Draw:
        if self.is_exempt(path):
            return Draw(None, False)
        rates = self.plan.rates
        with self._lock:
            self.counts["requests"] += 1
            kind = next((k for k in FAILING_KINDS if rates.get(k) and self._rng.random() < rates[k]), None)
            slow = bool(rates.get("slow")) and self._rng.random() < rates["slow"]
            if kind is not None:
                self.counts[kind] += 1
            if slow:
                self.counts["slow"] += 1
        return Draw(kind, slow)

    def note(self, draw: Draw, what: str) -> None:
        """Remember which request each fault hit, so a test can tell a lost write from a lost read."""
        with self._lock:
            for kind in (draw.kind, "slow" if draw.slow else None):
                if kind is not None:
                    self.hits[(kind, what)] += 1

    def injected(self) -> dict[str, int]:
        """How many of each kind were injected so far (every kind listed, zero included)."""
        with self._lock:
            return {kind: self.counts[kind] for kind in FAULT_KINDS}

    def status_5xx(self) -> int:
        """502, 503 and 504 in turn (the gateways a real shop or supplier sits behind)."""
        with self._lock:
            return (502, 503, 504)[(self.counts["5xx"] - 1) % 3]

    def transport(self, inner: httpx.BaseTransport) -> FaultyTransport:
        return FaultyTransport(inner, self)

    def asgi(self, app: ASGIApp) -> FaultMiddleware:
        return FaultMiddleware(app, self)


def _rate_limited_body() -> bytes:
    return b'{"errors":"Too many requests: slow down (sandbox fault)"}'


def _describe(request: httpx.Request) -> str:
    """'POST /orders', or for GraphQL 'POST /admin/api/…/graphql.json FulfillmentCreate'."""
    what = f"{request.method} {request.url.path}"
    if request.method == "POST" and request.url.path.endswith("graphql.json"):
        try:
            operation = json.loads(request.read()).get("operationName")
        except (ValueError, AttributeError):
            operation = None
        if isinstance(operation, str):
            what += f" {operation}"
    return what


class FaultyTransport(httpx.BaseTransport):
    """An httpx transport that injects the plan's faults in front of `inner` (sync, in-process)."""

    def __init__(self, inner: httpx.BaseTransport, injector: FaultInjector) -> None:
        self.inner = inner
        self.injector = injector

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        draw = self.injector.draw(request.url.path)
        self.injector.note(draw, _describe(request))
        if draw.slow:
            self.injector.sleep(self.injector.plan.slow_seconds)
        if draw.kind == "429":
            return httpx.Response(429, headers={"retry-after": f"{self.injector.plan.retry_after:g}",
                                                "content-type": "application/json"},
                                  content=_rate_limited_body(), request=request)
        if draw.kind == "5xx":
            return httpx.Response(self.injector.status_5xx(), headers={"content-type": "text/html"},
                                  content=b"<html><body>Bad gateway (sandbox fault)</body></html>", request=request)
        if draw.kind == "timeout":
            raise httpx.ReadTimeout("sandbox fault: no answer in time", request=request)
        response = self.inner.handle_request(request)
        if draw.kind == "lost":
            response.read()  # the work is done and its answer was written…
            response.close()
            raise httpx.RemoteProtocolError("sandbox fault: server disconnected without sending a response",
                                            request=request)  # …but never reached us
        return response

    def close(self) -> None:
        self.inner.close()


class FaultMiddleware:
    """The same faults over HTTP, as ASGI middleware in front of a sandbox app.

    A `lost` answer is the app's real answer cut after half its body, with the connection closed
    by the server (the client sees an incomplete message); a `timeout` stalls, then 504s.
    """

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
        draw = self.injector.draw(path[len(root):] if root and path.startswith(root) else path)
        plan = self.injector.plan
        if draw.slow:
            await asyncio.get_running_loop().run_in_executor(None, self.injector.sleep, plan.slow_seconds)
        if draw.kind == "429":
            await _answer(send, 429, _rate_limited_body(), [(b"retry-after", f"{plan.retry_after:g}".encode())])
        elif draw.kind == "5xx":
            await _answer(send, self.injector.status_5xx(), b"<html><body>Bad gateway (sandbox fault)</body></html>")
        elif draw.kind == "timeout":
            await asyncio.sleep(plan.stall_seconds)
            await _answer(send, 504, b"")
        elif draw.kind == "lost":
            await self.app(scope, receive, _cut_short(send))
        else:
            await self.app(scope, receive, send)


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _cut_short(send: Send) -> Send:
    """A `send` that passes the app's status and headers with the full length, then only half the
    body, and never finishes the message: the server closes the connection, the client gets an
    incomplete answer."""
    state: dict[str, Any] = {"headers": [], "status": 200, "body": b""}

    async def cut(message: Message) -> None:
        if message["type"] == "http.response.start":
            state["status"] = message["status"]
            state["headers"] = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            return
        if message["type"] != "http.response.body":
            return
        state["body"] += message.get("body", b"")
        if message.get("more_body"):
            return
        body: bytes = state["body"]
        await send({"type": "http.response.start", "status": state["status"],
                    "headers": [*state["headers"], (b"content-length", str(len(body) + 1).encode())]})
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})

    return cut
