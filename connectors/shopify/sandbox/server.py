"""The emulator core: one request handler, reachable in-process (httpx.MockTransport, sync) and as
an ASGI app (the hub mounts it at /sandbox/shopify). Same code path for both, so tests of one hold
for the other.

Per request: route and token check, fault injection, parse the operation, price it
(querycost), refuse it as THROTTLED if the leaky bucket cannot pay the requested cost, resolve
and project, charge the actual cost, answer with `extensions.cost` like Shopify.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from connectors.shopify import querycost
from connectors.shopify.resource_mappers import topic_to_rest
from connectors.shopify.sandbox import data as d
from connectors.shopify.sandbox import nodes as n
from connectors.shopify.sandbox import refunds, rest
from connectors.shopify.sandbox.bucket import LeakyBucket
from connectors.shopify.sandbox.config import FAULT_KINDS, SandboxConfig
from connectors.shopify.sandbox.resolvers import MUTATIONS, QUERIES, Context
from connectors.shopify.webhooks import (
    API_VERSION_HEADER,
    HMAC_HEADER,
    SHOP_HEADER,
    TOPIC_HEADER,
    TRIGGERED_AT_HEADER,
    WEBHOOK_ID_HEADER,
    sign_webhook,
)

logger = logging.getLogger(__name__)

_PATH = re.compile(r"/admin/api/(?P<version>\d{4}-\d{2}|unstable)/graphql\.json$")
THROTTLE_DOCS = "https://shopify.dev/api/usage/rate-limits"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    fault: str | None = None  # "timeout": the transport must not answer at all


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    body = json.dumps(payload, default=_default, separators=(",", ":")).encode()
    return Reply(status, body, {"content-type": "application/json", **(headers or {})})


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extra}}


class SandboxShopify:
    """An emulated shop. Thread-safe: one lock around data and bucket."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config or SandboxConfig()
        self.data = d.ShopData(self.config)
        self.bucket = LeakyBucket(self.config.bucket_size, self.config.restore_rate, clock)
        self.now = now
        self.sleep = sleep
        self.stats: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.faults.seed)
        self._outbox: list[httpx.Request] = []
        self._last_tick: datetime | None = None

    # -- the handler -----------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        match = _PATH.search(path)
        if match is None:
            return _json(404, {"errors": "Not Found"})
        if method.upper() != "POST":
            return _json(405, {"errors": "Method Not Allowed"})
        token = {k.lower(): v for k, v in headers.items()}.get("x-shopify-access-token")
        if token != self.config.access_token:
            return _json(
                401,
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
            )
        faults = self.config.faults
        if faults.latency:
            self.sleep(faults.latency)
        fault = self._draw_fault()
        if fault is not None:
            return self._fault_reply(fault)
        try:
            payload = json.loads(body, parse_float=Decimal)
        except ValueError:
            return _json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        variables = payload.get("variables") or {}
        try:
            operation = querycost.parse_operation(payload["query"], variables, payload.get("operationName"))
        except querycost.QuerySyntaxError as exc:
            return _json(200, {"errors": [_error(f"Parse error: {exc}", "PARSE_ERROR")]})
        return self._run(operation, match.group("version"))

    def _run(self, operation: querycost.Operation, version: str) -> Reply:
        requested = querycost.requested_cost(operation)
        max_cost = self.config.max_query_cost
        if requested > max_cost:
            self.stats["max_cost_exceeded"] += 1
            return _json(
                200,
                {
                    "errors": [
                        _error(
                            f"Query cost is {requested}, which exceeds the single query max cost "
                            f"limit ({max_cost}).",
                            "MAX_COST_EXCEEDED",
                            cost=requested,
                            maxCost=max_cost,
                            documentation=THROTTLE_DOCS,
                        )
                    ]
                },
            )
        with self._lock:
            self.stats["requests"] += 1
            if requested > self.bucket.available():
                self.stats["throttled"] += 1
                return self._throttled(requested)
            ctx = Context(self.data, version, self.now())
            table = MUTATIONS if operation.kind == "mutation" else QUERIES
            result: dict[str, Any] = {}
            try:
                for f in operation.selections:
                    if f.name == "__typename":
                        result[f.key] = "Mutation" if operation.kind == "mutation" else "QueryRoot"
                        continue
                    resolver = table.get(f.name)
                    if resolver is None:
                        kind = "Mutation" if operation.kind == "mutation" else "QueryRoot"
                        return _json(
                            200,
                            {
                                "errors": [
                                    _error(
                                        f"Field '{f.name}' doesn't exist on type '{kind}'", "undefinedField"
                                    )
                                ]
                            },
                        )
                    args = dict(f.args)
                    if "idempotent" in f.directives:
                        args["__idempotency_key"] = f.directives["idempotent"].get("key")
                    result[f.key] = n.project(f.selections, resolver(ctx, args))
            except n.BadRequest as exc:
                return _json(200, {"errors": [_error(str(exc), "BAD_REQUEST")], "data": None})
            except (AttributeError, KeyError, TypeError, ValueError) as exc:  # variables of the wrong shape
                logger.info("sandbox refused malformed variables: %s", exc)
                return _json(
                    200,
                    {
                        "errors": [_error("Variables are invalid for this operation", "INVALID_VARIABLE")],
                        "data": None,
                    },
                )
            actual = querycost.actual_cost(operation, result)
            self.bucket.spend(actual)
            self.stats["points"] += actual
            self.stats[f"op:{operation.name}"] += 1
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
            self._queue_events()
        return _json(200, {"data": result, "extensions": {"cost": cost}})

    def _throttled(self, requested: int) -> Reply:
        return _json(
            200,
            {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": THROTTLE_DOCS},
                    }
                ],
                "extensions": {
                    "cost": {
                        "requestedQueryCost": requested,
                        "actualQueryCost": None,
                        "throttleStatus": self.bucket.status(),
                    }
                },
            },
        )

    def _draw_fault(self) -> str | None:
        rates = self.config.faults.rates
        if not rates:
            return None
        with self._lock:
            for kind in FAULT_KINDS:
                if self._rng.random() < rates.get(kind, 0.0):
                    self.stats[f"fault:{kind}"] += 1
                    return kind
        return None

    def _fault_reply(self, kind: str) -> Reply:
        faults = self.config.faults
        if kind == "429":
            return _json(
                429,
                {
                    "errors": "Exceeded 2 calls per second for api client. Reduce request rates "
                    "to resume uninterrupted service."
                },
                {"retry-after": f"{faults.retry_after:g}"},
            )
        if kind == "throttled":
            with self._lock:
                return self._throttled(self.config.max_query_cost)
        if kind == "5xx":
            status = (502, 503, 504)[self.stats["fault:5xx"] % 3]
            return Reply(status, b"<html><body>Bad gateway</body></html>", {"content-type": "text/html"})
        if kind == "timeout":
            return Reply(504, b"", {}, fault="timeout")
        return Reply(200, b'{"data":{"shop":{"name":"Sandb', {"content-type": "application/json"})

    # -- in-process transport --------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """A sync httpx transport that serves requests from this sandbox (timeouts raise)."""

        def handler(request: httpx.Request) -> httpx.Response:
            reply = self.handle(request.method, request.url.path, dict(request.headers), request.read())
            if reply.fault == "timeout":
                raise httpx.ReadTimeout("sandbox: simulated read timeout", request=request)
            return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

        return httpx.MockTransport(handler)

    # -- orders over time and webhooks -----------------------------------------------------

    def create_orders(self, count: int, at: datetime | None = None) -> list[d.Order]:
        """Add `count` new orders (one second apart from `at`); queues orders/create webhooks."""
        start = at or self.now()
        with self._lock:
            created = [self.data.add_order(start + timedelta(seconds=i)) for i in range(count)]
            self._queue_events()
        return created

    def refund_order(self, order: d.Order, at: datetime | None = None, items: Sequence[tuple[d.Line, int]] = (),
                     shipping: bool = False, adjustment: Decimal = Decimal("0.00")) -> d.Refund:
        """Refund units of lines, shipping and/or an extra amount; queues orders/updated webhooks."""
        with self._lock:
            record = refunds.refund(self.data, order, at or self.now(), items, shipping, adjustment)
            self._queue_events()
        return record

    def cancel_order(self, order: d.Order, at: datetime | None = None) -> d.Refund | None:
        """Cancel an order and refund what is left of it; queues orders/updated webhooks."""
        with self._lock:
            record = refunds.cancel(self.data, order, at or self.now())
            self._queue_events()
        return record

    def settle_payouts(self, at: datetime | None = None) -> None:
        """Pay out every successful sale and refund not yet in a payout."""
        with self._lock:
            self.data.settle_payouts(at or self.now())

    def tick(self) -> int:
        """Create the orders due since the last tick at `config.orders_per_minute`; returns how many."""
        now = self.now()
        if self._last_tick is None:
            self._last_tick = now
            return 0
        due = int((now - self._last_tick).total_seconds() / 60 * self.config.orders_per_minute)
        if due:
            self._last_tick += timedelta(minutes=due / self.config.orders_per_minute)
            if self.config.max_orders is not None:
                due = max(0, min(due, self.config.max_orders - len(self.data.orders)))
            self.create_orders(due, now)
        return due

    def _queue_events(self) -> None:
        events, self.data.events = self.data.events, []
        for topic, order_id in events:
            order = self.data.orders_by_id[order_id]
            for subscription in self.data.webhooks:
                if subscription.topic == topic:
                    self._outbox.append(self.webhook_request(subscription.callback_url, topic, order))

    def webhook_request(self, url: str, topic: str, order: d.Order) -> httpx.Request:
        """A signed webhook POST like Shopify's for one order event."""
        body = json.dumps(rest.order_body(order), separators=(",", ":")).encode()
        rest_topic = topic_to_rest(topic)
        headers = {
            "Content-Type": "application/json",
            HMAC_HEADER: sign_webhook(body, self.config.webhook_secret),
            TOPIC_HEADER: rest_topic,
            SHOP_HEADER: self.config.shop_domain,
            WEBHOOK_ID_HEADER: str(uuid.UUID(int=self._rng.getrandbits(128))),
            TRIGGERED_AT_HEADER: self.now().isoformat(),
            API_VERSION_HEADER: "2026-10",
        }
        return httpx.Request("POST", url, headers=headers, content=body)

    def pending_webhooks(self) -> int:
        with self._lock:
            return len(self._outbox)

    def deliver_webhooks(self, client: httpx.Client) -> list[httpx.Response]:
        """Send every queued webhook through `client`; failed ones stay queued for the next call."""
        with self._lock:
            outbox, self._outbox = self._outbox, []
        responses, failed = [], []
        for request in outbox:
            try:
                response = client.send(request)
            except httpx.HTTPError as exc:
                logger.warning("sandbox webhook to %s failed: %s", request.url.host, exc)
                failed.append(request)
                continue
            responses.append(response)
            if response.status_code >= 300:
                failed.append(request)
        with self._lock:
            self._outbox[:0] = failed
        return responses
