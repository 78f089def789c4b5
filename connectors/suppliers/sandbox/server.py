"""The sandbox supplier's request handler: one synchronous core reachable in-process
(`transport()`, an httpx.MockTransport) and over HTTP (`asgi.create_app`), so tests of one hold for
the other. Thread-safe: one lock around the books; latency is slept outside it.

API (JSON; amounts are decimal strings):
    POST /orders                    {reference, lines:[{sku, quantity}], ship_to, currency}
                                    header Idempotency-Key: a repeat returns the first result
                                    (200, Idempotent-Replayed: true); a new key for a used
                                    reference → 409. 201 on creation, 422 with `error` on refusal.
    GET  /orders/{reference}        200 order, 404 unknown
    POST /orders/{reference}/cancel 200 cancelled order, 409 already shipped, 404 unknown
    GET  /stock?skus=A,B            {"stock": [{"sku", "quantity"}]} (unknown SKUs: 0)
    GET  /catalogue                 {"items": [{"sku", "cost", "shipping", "stock"}], "currency"}
    GET  /_stats                    counters (see Books.stats), never faulted
    POST /_ship                     {"reference"?}: ship it (or every accepted order) now
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx

from connectors.suppliers.sandbox.config import FAULT_KINDS, SupplierSandboxConfig
from connectors.suppliers.sandbox.state import Books, Refusal

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "idempotency-key"
CONTROL_PATHS = ("/_stats", "/_ship", "/catalogue")


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    fault: str | None = None  # "timeout": the answer must be lost (the work is done)


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, {"content-type": "application/json", **(headers or {})})


def _error(status: int, message: str) -> Reply:
    return _json(status, {"error": message})


class SandboxSupplierServer:
    """An emulated supplier. `now` and `sleep` are injectable so shipping delays run without waiting."""

    def __init__(
        self,
        config: SupplierSandboxConfig | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or SupplierSandboxConfig()
        self.books = Books(self.config)
        self.now = now
        self.sleep = sleep
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.faults.seed)

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        method = method.upper()
        lowered = {k.lower(): v for k, v in headers.items()}
        if self.config.api_key is not None and lowered.get("authorization") != f"Bearer {self.config.api_key}":
            return _error(401, "missing or wrong API key")
        if path in CONTROL_PATHS:
            return self._control(method, path, body)
        if self.config.faults.latency:
            self.sleep(self.config.faults.latency)
        with self._lock:
            if method == "POST" and path == "/orders":
                self.books.counts["order_requests"] += 1
            fault = self._draw_fault()
            if fault in ("5xx", "429", "reject"):
                return self._fault_reply(fault)
            self.books.ship_due(self.now())
            reply = self._route(method, path, query, lowered, body)
        if fault == "timeout":
            reply.fault = "timeout"
        return reply

    def _route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        try:
            if parts == ["orders"] and method == "POST":
                return self._create(headers.get(IDEMPOTENCY_HEADER), body)
            if len(parts) == 2 and parts[0] == "orders" and method == "GET":
                order = self.books.find(parts[1])
                return _json(200, order.as_json()) if order else _error(404, f"no order {parts[1]!r}")
            if len(parts) == 3 and parts[0] == "orders" and parts[2] == "cancel" and method == "POST":
                return _json(200, self.books.cancel(parts[1]).as_json())
            if parts == ["stock"] and method == "GET":
                return self._stock(query)
        except Refusal as exc:
            return _error(exc.status, exc.reason)
        return _error(404, f"no route {method} {path}")

    def _create(self, key: str | None, body: bytes) -> Reply:
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            return _error(400, "body is not JSON")
        try:
            order, replayed = self.books.create(payload, key, self.now())
        except Refusal as exc:
            if exc.status == 422:
                self.books.counts["rejected"] += 1
            raise
        if replayed:
            return _json(200, order.as_json(), {"idempotent-replayed": "true"})
        return _json(201, order.as_json())

    def _stock(self, query: str) -> Reply:
        skus = [s for value in parse_qs(query).get("skus", []) for s in value.split(",") if s]
        stock = [{"sku": s, "quantity": item.stock if (item := self.books.catalogue.get(s)) else 0} for s in skus]
        return _json(200, {"stock": stock})

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        with self._lock:
            now = self.now()
            self.books.ship_due(now)
            if path == "/_stats" and method == "GET":
                return _json(200, self.books.stats())
            if path == "/catalogue" and method == "GET":
                items = [{"sku": i.sku, "cost": format(i.cost, "f"), "shipping": format(i.shipping, "f"),
                          "stock": i.stock} for i in self.books.catalogue.values()]
                return _json(200, {"currency": self.config.currency, "items": items})
            if path == "/_ship" and method == "POST":
                return self._ship(body, now)
        return _error(405, f"{method} not allowed on {path}")

    def _ship(self, body: bytes, now: datetime) -> Reply:
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            return _error(400, "body is not JSON")
        reference = payload.get("reference") if isinstance(payload, dict) else None
        if reference is not None:
            order = self.books.find(str(reference))
            if order is None:
                return _error(404, f"no order {reference!r}")
            return _json(200, {"shipped": self.books.ship(order, now)})
        shipped = sum(self.books.ship(o, now) for orders in self.books.orders.values() for o in orders)
        return _json(200, {"shipped": shipped})

    # -- faults --------------------------------------------------------------------------------

    def _draw_fault(self) -> str | None:
        rates = self.config.faults.rates
        for kind in FAULT_KINDS:
            if rates.get(kind) and self._rng.random() < rates[kind]:
                self.books.counts[f"fault:{kind}"] += 1
                return kind
        return None

    def _fault_reply(self, kind: str) -> Reply:
        if kind == "429":
            return _json(429, {"error": "too many requests"},
                         {"retry-after": f"{self.config.faults.retry_after:g}"})
        if kind == "reject":
            self.books.counts["rejected"] += 1
            return _error(422, "rejected by the sandbox supplier (fault injection)")
        status = (502, 503, 504)[self.books.counts["fault:5xx"] % 3]
        return Reply(status, b"<html><body>Bad gateway</body></html>", {"content-type": "text/html"})

    # -- in-process transport ------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """A sync httpx transport serving requests from this sandbox (a lost answer raises ReadTimeout)."""

        def handler(request: httpx.Request) -> httpx.Response:
            reply = self.handle(request.method, request.url.path, request.url.query.decode(),
                                dict(request.headers), request.read())
            if reply.fault == "timeout":
                raise httpx.ReadTimeout("sandbox supplier: simulated read timeout", request=request)
            return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

        return httpx.MockTransport(handler)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self.books.ship_due(self.now())
            return self.books.stats()
