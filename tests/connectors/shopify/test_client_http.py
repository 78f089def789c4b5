"""The client's HTTP behaviour against respx: retries, error mapping, logging."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
import respx

from connectors.http import (
    USER_AGENT,
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
)
from connectors.shopify import documents
from connectors.shopify.client import ShopifyClient
from connectors.shopify.errors import ShopifyGraphQLError, ShopifyThrottled, ShopifyUserErrors
from hub.domain.storefront import VariantPrice

URL = "https://test-shop.myshopify.com/admin/api/2026-10/graphql.json"
TOKEN = "shpat_do_not_log_me"
SHOP = {
    "shop": {
        "name": "Test",
        "myshopifyDomain": "test-shop.myshopify.com",
        "currencyCode": "EUR",
        "plan": {"displayName": "Basic", "partnerDevelopment": False, "shopifyPlus": False},
    }
}


def cost(
    requested: int = 2, actual: int | None = 2, available: int = 1998, maximum: int = 2000, rate: int = 100
) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": maximum,
                "currentlyAvailable": available,
                "restoreRate": rate,
            },
        }
    }


def ok(data: dict[str, Any], **kw: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data, "extensions": cost(**kw)})


@pytest.fixture
def client(policy, budget):  # type: ignore[no-untyped-def]
    with ShopifyClient("Test-Shop.myshopify.com", TOKEN, retry=policy, budget=budget) as c:
        yield c


@respx.mock
def test_success_sends_token_user_agent_and_operation(client: ShopifyClient) -> None:
    route = respx.post(URL).mock(return_value=ok(SHOP))
    info = client.shop()
    assert info.name == "Test" and info.currency == "EUR" and info.plan == "Basic"
    request = route.calls.last.request
    assert request.headers["X-Shopify-Access-Token"] == TOKEN
    assert request.headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("dropship-hub/")
    body = httpx.Response(200, content=request.content).json()
    assert body["operationName"] == "Shop" and "query Shop" in body["query"]


@respx.mock
def test_429_waits_retry_after_then_succeeds(client: ShopifyClient, sleeps: list[float]) -> None:
    route = respx.post(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": "Exceeded 2 calls per second"}),
            ok(SHOP),
        ]
    )
    assert client.shop().name == "Test"
    assert route.call_count == 2
    assert sleeps == [3.0]


@respx.mock
def test_429_every_time_raises_rate_limited_after_all_attempts(
    client: ShopifyClient, sleeps: list[float]
) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "1.5"}))
    with pytest.raises(RateLimited) as info:
        client.shop()
    assert info.value.retry_after == 1.5
    assert route.call_count == 4 and sleeps == [1.5, 1.5, 1.5]


@respx.mock
def test_throttled_body_is_retried_after_the_bucket_refills(
    client: ShopifyClient, sleeps: list[float]
) -> None:
    throttled = httpx.Response(
        200,
        json={
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "x"}}],
            "extensions": cost(requested=502, actual=None, available=102, rate=100),
        },
    )
    route = respx.post(URL).mock(side_effect=[throttled, ok(SHOP)])
    assert client.shop().name == "Test"
    assert route.call_count == 2
    assert sleeps == [pytest.approx(4.0)]  # (502 - 102) / 100


@respx.mock
def test_throttled_every_time_raises_shopify_throttled(client: ShopifyClient) -> None:
    respx.post(URL).mock(
        return_value=httpx.Response(
            200,
            json={
                "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                "extensions": cost(requested=10, actual=None, available=0),
            },
        )
    )
    with pytest.raises(ShopifyThrottled):
        client.shop()


@respx.mock
def test_502_is_retried_with_bounded_jittered_backoff(client: ShopifyClient, sleeps: list[float]) -> None:
    route = respx.post(URL).mock(side_effect=[httpx.Response(502), httpx.Response(503), ok(SHOP)])
    assert client.shop().name == "Test"
    assert route.call_count == 3
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


@respx.mock
def test_504_forever_raises_remote_unavailable(client: ShopifyClient) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(504))
    with pytest.raises(RemoteUnavailable):
        client.shop()
    assert route.call_count == 4


@respx.mock
def test_read_timeout_is_retried_then_succeeds(client: ShopifyClient) -> None:
    route = respx.post(URL).mock(side_effect=[httpx.ReadTimeout("slow"), ok(SHOP)])
    assert client.shop().name == "Test"
    assert route.call_count == 2


@respx.mock
def test_timeouts_exhausted_raise_remote_timeout_from_httpx(client: ShopifyClient) -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectTimeout("nope"))
    with pytest.raises(RemoteTimeout) as info:
        client.shop()
    assert isinstance(info.value.__cause__, httpx.ConnectTimeout)


@respx.mock
def test_connection_error_is_remote_unavailable(client: ShopifyClient) -> None:
    respx.post(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(RemoteUnavailable) as info:
        client.shop()
    assert not isinstance(info.value, RemoteTimeout)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


@respx.mock
def test_400_is_not_retried_and_carries_status_request_id_excerpt(
    client: ShopifyClient, sleeps: list[float]
) -> None:
    route = respx.post(URL).mock(
        return_value=httpx.Response(
            400,
            headers={"X-Request-Id": "req-123"},
            json={"errors": {"query": "Required parameter missing " + "x" * 500}},
        )
    )
    with pytest.raises(RemoteRejected) as info:
        client.shop()
    assert route.call_count == 1 and sleeps == []
    error = info.value
    assert error.status == 400 and error.request_id == "req-123"
    assert "Required parameter missing" in error.excerpt and len(error.excerpt) <= 200
    assert TOKEN not in str(error)


@pytest.mark.parametrize("status", [401, 403, 404, 422, 500])
@respx.mock
def test_other_statuses_are_final(client: ShopifyClient, status: int) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(status, text="nope"))
    with pytest.raises(RemoteRejected):
        client.shop()
    assert route.call_count == 1


@respx.mock
def test_malformed_json_body_is_a_clear_error_not_retried(client: ShopifyClient) -> None:
    route = respx.post(URL).mock(return_value=httpx.Response(200, content=b'{"data": {"shop": {"na'))
    with pytest.raises(MalformedResponse, match="not JSON"):
        client.shop()
    assert route.call_count == 1


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"extensions": {}}', b'{"data": "shop"}', b'{"errors": "x"}'])
@respx.mock
def test_json_that_is_not_a_graphql_response_is_malformed(client: ShopifyClient, body: bytes) -> None:
    respx.post(URL).mock(return_value=httpx.Response(200, content=body))
    with pytest.raises(MalformedResponse):
        client.shop()


@respx.mock
def test_graphql_errors_raise_with_messages_and_codes(client: ShopifyClient) -> None:
    respx.post(URL).mock(
        return_value=httpx.Response(
            200,
            json={
                "errors": [
                    {
                        "message": "Field 'nope' doesn't exist on type 'Shop'",
                        "extensions": {"code": "undefinedField"},
                    }
                ]
            },
        )
    )
    with pytest.raises(ShopifyGraphQLError) as info:
        client.shop()
    assert info.value.codes == ("undefinedField",)
    assert "doesn't exist" in str(info.value)


@respx.mock
def test_user_errors_of_a_mutation(client: ShopifyClient) -> None:
    respx.post(URL).mock(
        return_value=ok(
            {
                "productVariantsBulkUpdate": {
                    "productVariants": None,
                    "userErrors": [
                        {"field": ["variants", "0", "price"], "message": "Price must be positive"}
                    ],
                }
            },
            requested=10,
        )
    )
    with pytest.raises(ShopifyUserErrors) as info:
        client.update_variant_prices([VariantPrice("11", "22", __import__("decimal").Decimal("-1"))])
    error = info.value
    assert error.operation == "productVariantsBulkUpdate"
    assert error.errors[0].field == ("variants", "0", "price")
    assert error.errors[0].message == "Price must be positive"


@respx.mock
def test_one_log_line_per_request_with_cost_and_no_token(
    client: ShopifyClient, caplog: pytest.LogCaptureFixture
) -> None:
    respx.post(URL).mock(side_effect=[httpx.Response(502), ok(SHOP, requested=2, actual=2, available=1998)])
    with caplog.at_level(logging.INFO, logger="connectors.http"):
        client.execute(documents.load("Shop"))
    lines = [r for r in caplog.records if r.name == "connectors.http" and r.levelno == logging.INFO]
    assert len(lines) == 2
    assert "POST test-shop.myshopify.com/admin/api/2026-10/graphql.json -> 502" in lines[0].getMessage()
    assert "-> 200" in lines[1].getMessage() and "cost=2/2 left 1998/2000" in lines[1].getMessage()
    assert all(TOKEN not in r.getMessage() for r in caplog.records)
    assert TOKEN not in repr(client)


def test_base_url_overrides_the_shop_host(policy, budget) -> None:  # type: ignore[no-untyped-def]
    c = ShopifyClient(
        "x.myshopify.com",
        TOKEN,
        api_version="2026-01",
        base_url="http://127.0.0.1:8000/sandbox/shopify/",
        retry=policy,
        budget=budget,
    )
    assert c.endpoint == "http://127.0.0.1:8000/sandbox/shopify/admin/api/2026-01/graphql.json"
