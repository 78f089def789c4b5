"""The connectors' metrics: a supplier's call latency and errors, Shopify's cost points and throttles."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import REGISTRY

from connectors.http import RemoteUnavailable, RetryPolicy
from connectors.shopify.budget import CostBudget
from connectors.shopify.client import ShopifyClient
from connectors.suppliers.sandbox import SandboxSupplier
from tests.connectors.shopify.test_client_http import SHOP, TOKEN, cost, ok
from tests.connectors.suppliers.helpers import no_wait, order_request


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_supplier_calls_are_timed_and_errors_counted_per_supplier() -> None:
    answers = iter([httpx.Response(503), httpx.Response(503)])
    transport = httpx.MockTransport(lambda request: next(answers))
    supplier = SandboxSupplier("http://127.0.0.1:9/sandbox/suppliers/metrics-acme", transport=transport,
                               retry=no_wait(attempts=2))
    labels = {"kind": "supplier", "remote": "sandbox:metrics-acme"}
    calls, errors = sample("hub_remote_call_seconds_count", **labels), sample(
        "hub_remote_call_errors_total", **labels, reason="503")
    with pytest.raises(RemoteUnavailable):
        supplier.place_order(order_request("M-1"))
    assert sample("hub_remote_call_seconds_count", **labels) == calls + 2
    assert sample("hub_remote_call_errors_total", **labels, reason="503") == errors + 2


def test_shopify_cost_points_and_throttles_are_counted_per_shop() -> None:
    throttled = httpx.Response(200, json={"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                          "extensions": cost(requested=50, actual=None, available=10)})
    answers = iter([throttled, ok(SHOP, requested=7, actual=5)])
    transport = httpx.MockTransport(lambda request: next(answers))
    shop = "metrics-shop.myshopify.com"
    points, throttles = sample("hub_shopify_cost_points_total", shop=shop), sample(
        "hub_shopify_throttles_total", shop=shop)
    retry = RetryPolicy(attempts=3, sleep=lambda _s: None)
    with ShopifyClient(shop, TOKEN, transport=transport, retry=retry,
                       budget=CostBudget(2000, 100, sleep=lambda _s: None)) as client:
        assert client.shop().name == "Test"
    assert sample("hub_shopify_throttles_total", shop=shop) == throttles + 1
    assert sample("hub_shopify_cost_points_total", shop=shop) == points + 5  # the actual cost, not the requested
    assert sample("hub_remote_call_seconds_count", kind="storefront", remote=shop) >= 2
