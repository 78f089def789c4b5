"""Thin GraphQL Admin API client: one `execute`, paced by query cost, retried by one policy.

The typed operations (shop, orders, inventory...) live in `operations.py` on top of this.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

from connectors import telemetry
from connectors.http import (
    ConnectorError,
    MalformedResponse,
    RateLimited,
    RetryPolicy,
    build_client,
    excerpt,
    log_request,
    raise_for_status,
    send,
)
from connectors.shopify import querycost
from connectors.shopify.budget import CostBudget, QueryCost, budget_for
from connectors.shopify.documents import Document
from connectors.shopify.errors import ShopifyGraphQLError, ShopifyThrottled
from connectors.shopify.operations import ShopifyOperations

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-10"
THROTTLED = "THROTTLED"
UNKNOWN_COST = 50.0  # reserved for a document our cost model cannot read, until Shopify prices it


def normalize_shop_domain(shop_domain: str) -> str:
    """'Example.myshopify.com/' → 'example.myshopify.com' (a scheme is tolerated and dropped)."""
    text = shop_domain.strip().lower().removeprefix("https://").removeprefix("http://")
    return text.rstrip("/")


class ShopifyClient(ShopifyOperations):
    """Talks GraphQL to one shop. Thread-safe: share one instance or many; the budget is per shop.

    `base_url` replaces `https://{shop}` (e.g. the sandbox at http://127.0.0.1:8000/sandbox/shopify);
    `transport` is handed to httpx (tests pass respx's or an `httpx.MockTransport`).
    """

    def __init__(
        self,
        shop_domain: str,
        access_token: str,
        api_version: str = DEFAULT_API_VERSION,
        transport: httpx.BaseTransport | None = None,
        base_url: str | None = None,
        *,
        retry: RetryPolicy | None = None,
        budget: CostBudget | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.shop_domain = normalize_shop_domain(shop_domain)
        self.api_version = api_version
        root = (base_url or f"https://{self.shop_domain}").rstrip("/")
        self.endpoint = f"{root}/admin/api/{api_version}/graphql.json"
        self.retry = retry or RetryPolicy()
        self.budget = budget or budget_for(self.shop_domain)
        self._http = build_client(
            transport=transport,
            timeout=timeout,
            headers={"X-Shopify-Access-Token": access_token, "Accept": "application/json"},
        )
        self._learned: dict[str, float] = {}  # what Shopify requested, per document and page sizes
        self._modelled: dict[str, int | None] = {}  # what our cost model says, same key
        self.last_cost: QueryCost | None = None

    def __repr__(self) -> str:  # never show the token
        return f"ShopifyClient({self.shop_domain!r}, api_version={self.api_version!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopifyClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- the one call -----------------------------------------------------------------------

    def expected_cost(self, document: Document | str, variables: Mapping[str, Any] | None) -> float:
        """What to reserve before sending: our model's estimate, or more if Shopify asked for more."""
        text = document.text if isinstance(document, Document) else document
        return self._expected(text, variables, _cost_key(text, variables))

    def _expected(self, text: str, variables: Mapping[str, Any] | None, key: str) -> float:
        if key not in self._modelled:  # the estimate depends only on the text and the page sizes
            self._modelled[key] = querycost.estimate(text, variables)
        values = [v for v in (self._modelled[key], self._learned.get(key)) if v is not None]
        return float(max(values)) if values else UNKNOWN_COST

    def execute(
        self,
        document: Document | str,
        variables: Mapping[str, Any] | None = None,
        *,
        expected_cost: float | None = None,
    ) -> dict[str, Any]:
        """Run one operation; returns `data`. Paces on the shop's budget and retries transients.

        Raises ShopifyThrottled / RateLimited / RemoteUnavailable once retries are exhausted,
        ShopifyGraphQLError for top-level `errors`, RemoteRejected for other HTTP errors and
        MalformedResponse for a body that is not a GraphQL response.
        """
        text = document.text if isinstance(document, Document) else document
        payload: dict[str, Any] = {"query": text, "variables": dict(variables or {})}
        if isinstance(document, Document):
            payload["operationName"] = document.operation
        key = _cost_key(text, variables)
        cost = expected_cost if expected_cost is not None else self._expected(text, variables, key)
        return self.retry.call(lambda: self._attempt(payload, cost, key))

    def _attempt(self, payload: dict[str, Any], cost: float, key: str) -> dict[str, Any]:
        reservation = self.budget.reserve(cost)
        request = self._http.build_request(
            "POST",
            self.endpoint,
            content=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        started = time.perf_counter()
        query_cost: QueryCost | None = None
        status: int | str = "error"
        throttled = False
        try:
            response = send(self._http, request)
            status = response.status_code
            raise_for_status(response)
            body = _decode(response)
            query_cost = QueryCost.parse(body.get("extensions"))
            if query_cost is not None:
                self.last_cost = query_cost
                self._learned[key] = max(query_cost.requested, self._learned.get(key, 0.0))
            return _data_or_raise(body, query_cost)
        except (ShopifyThrottled, RateLimited):
            throttled = True
            raise
        finally:
            self.budget.observe(reservation, query_cost)
            log_request(request, status, started, query_cost.note() if query_cost else None,
                        kind="storefront", remote=self.shop_domain)
            telemetry.observe_shopify(self.shop_domain, query_cost.actual if query_cost else None, throttled)

    # -- pagination -------------------------------------------------------------------------

    def paginate(
        self,
        document: Document,
        variables: Mapping[str, Any],
        path: Sequence[str],
        *,
        page_size: int,
        after: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every node of the connection at `path` in `data`, following `pageInfo.endCursor`
        (from `after` when resuming a connection whose first page came with another query)."""
        while True:
            data = self.execute(document, {**variables, "first": page_size, "after": after})
            connection = dig(data, path)
            if connection is None:
                return
            if not isinstance(connection, Mapping):
                raise MalformedResponse(f"{'.'.join(path)} is not a connection")
            nodes = connection.get("nodes")
            if not isinstance(nodes, list):
                raise MalformedResponse(f"{'.'.join(path)}.nodes is not a list")
            yield from nodes
            page = connection.get("pageInfo") or {}
            after = page.get("endCursor") if isinstance(page, Mapping) else None
            if not (isinstance(page, Mapping) and page.get("hasNextPage")) or not after:
                return


def dig(data: Any, path: Sequence[str]) -> Any:
    """data[path[0]][path[1]]…, None if any step is missing or null."""
    for step in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(step)
    return data


def _cost_key(text: str, variables: Mapping[str, Any] | None) -> str:
    sizes = sorted((k, v) for k, v in (variables or {}).items() if isinstance(v, int))
    return f"{hash(text)}:{sizes}"


def _decode(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedResponse(
            f"HTTP {response.status_code} body is not JSON: {excerpt(response.text, 120)!r}"
        ) from exc
    if not isinstance(body, dict):
        raise MalformedResponse(f"GraphQL response is a {type(body).__name__}, not an object")
    return body


def _data_or_raise(body: dict[str, Any], cost: QueryCost | None) -> dict[str, Any]:
    errors = body.get("errors")
    if errors:
        if not isinstance(errors, list):
            raise MalformedResponse("GraphQL `errors` is not a list")
        codes = [_error_code(e) for e in errors]
        messages = [str(e.get("message", "")) if isinstance(e, Mapping) else str(e) for e in errors]
        if THROTTLED in codes:
            wait = None
            if cost is not None and cost.throttle is not None and cost.throttle.restore_rate > 0:
                deficit = cost.requested - cost.throttle.currently_available
                wait = max(0.0, deficit / cost.throttle.restore_rate)
            error: ConnectorError = ShopifyThrottled("Shopify THROTTLED the query", retry_after=wait)
        else:
            error = ShopifyGraphQLError(messages, [c for c in codes if c])
        error.note = cost.note() if cost else None
        raise error
    data = body.get("data")
    if not isinstance(data, dict):
        raise MalformedResponse("GraphQL response has neither `data` nor `errors`")
    return data


def _error_code(error: object) -> str | None:
    if isinstance(error, Mapping):
        extensions = error.get("extensions")
        if isinstance(extensions, Mapping) and isinstance(extensions.get("code"), str):
            return str(extensions["code"])
    return None
