"""Cursor pagination of orders, and of an order's lines beyond the first page (recorded JSON)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import respx

from connectors.shopify.client import ShopifyClient

URL = "https://pages.myshopify.com/admin/api/2026-10/graphql.json"
COST = {
    "cost": {
        "requestedQueryCost": 50,
        "actualQueryCost": 40,
        "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 1900, "restoreRate": 100},
    }
}


def money(amount: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}


def line(n: int, price: str = "10.00") -> dict[str, Any]:
    return {
        "id": f"gid://shopify/LineItem/{n}",
        "sku": f"SKU-{n}",
        "title": f"Item {n}",
        "quantity": 2,
        "requiresShipping": True,
        "originalUnitPriceSet": money(price),
        "totalDiscountSet": money("1.00"),
        "variant": {"id": f"gid://shopify/ProductVariant/{n + 100}"},
        "product": None,
    }


def order(n: int, lines: list[dict[str, Any]], more_lines: bool) -> dict[str, Any]:
    return {
        "id": f"gid://shopify/Order/{n}",
        "name": f"#{n}",
        "email": None,
        "currencyCode": "EUR",
        "createdAt": "2026-03-01T10:00:00Z",
        "updatedAt": "2026-03-02T10:00:00+01:00",
        "processedAt": None,
        "cancelledAt": None,
        "cancelReason": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "UNFULFILLED",
        "tags": ["b", "a"],
        "subtotalPriceSet": money("0"),
        "totalDiscountsSet": money("0.00"),
        "totalShippingPriceSet": money("4.90"),
        "totalTaxSet": money("0.00"),
        "totalPriceSet": money("100.00"),
        "shippingAddress": None,
        "billingAddress": None,
        "lineItems": {
            "pageInfo": {"hasNextPage": more_lines, "endCursor": f"L{n}-1" if more_lines else None},
            "nodes": lines,
        },
    }


def page(orders: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    return {
        "data": {
            "orders": {"pageInfo": {"hasNextPage": cursor is not None, "endCursor": cursor}, "nodes": orders}
        },
        "extensions": COST,
    }


def line_page(order_id: int, lines: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    return {
        "data": {
            "order": {
                "id": f"gid://shopify/Order/{order_id}",
                "lineItems": {
                    "pageInfo": {"hasNextPage": cursor is not None, "endCursor": cursor},
                    "nodes": lines,
                },
            }
        },
        "extensions": COST,
    }


@respx.mock
def test_orders_follow_cursors_and_fetch_remaining_lines(policy: Any, budget: Any) -> None:
    sent: list[dict[str, Any]] = []

    def serve(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sent.append(body)
        variables = body["variables"]
        if body["operationName"] == "Orders":
            if variables["after"] is None:
                return httpx.Response(
                    200, json=page([order(1, [line(1), line(2)], True), order(2, [line(5)], False)], "C2")
                )
            assert variables["after"] == "C2"
            return httpx.Response(200, json=page([order(3, [line(6)], False)], None))
        assert body["operationName"] == "OrderLineItems"
        assert variables["id"] == "gid://shopify/Order/1"
        if variables["after"] == "L1-1":
            return httpx.Response(200, json=line_page(1, [line(3)], "L1-2"))
        assert variables["after"] == "L1-2"
        return httpx.Response(200, json=line_page(1, [line(4, "2.50")], None))

    respx.post(URL).mock(side_effect=serve)
    client = ShopifyClient("pages.myshopify.com", "t", retry=policy, budget=budget)
    orders = list(client.orders(page_size=2, lines_per_order=2))

    assert [o.external_id for o in orders] == ["1", "2", "3"]
    first = orders[0]
    assert [ln.external_id for ln in first.lines] == ["1", "2", "3", "4"]
    assert [ln.sku for ln in first.lines] == ["SKU-1", "SKU-2", "SKU-3", "SKU-4"]
    assert first.lines[3].unit_price == Decimal("2.50") and first.lines[0].variant_id == "101"
    # subtotal = Σ(unit x qty - discount) over all four lines, including the paged-in ones
    assert first.subtotal_price == Decimal("10.00") * 2 * 3 + Decimal("2.50") * 2 - 4 * Decimal("1.00")
    assert first.tags == ("a", "b") and first.total_shipping == Decimal("4.90")
    assert first.updated_at.utcoffset() is not None and first.updated_at.hour == 9
    assert [b["operationName"] for b in sent] == ["Orders", "OrderLineItems", "OrderLineItems", "Orders"]
    assert sent[0]["variables"]["first"] == 2 and sent[0]["variables"]["linesFirst"] == 2


@respx.mock
def test_updated_since_becomes_a_search_query(policy: Any, budget: Any) -> None:
    from datetime import UTC, datetime

    route = respx.post(URL).mock(return_value=httpx.Response(200, json=page([], None)))
    client = ShopifyClient("pages.myshopify.com", "t", retry=policy, budget=budget)
    assert list(client.orders(datetime(2026, 5, 1, 12, tzinfo=UTC))) == []
    variables = json.loads(route.calls.last.request.content)["variables"]
    assert variables["query"] == "updated_at:>='2026-05-01T12:00:00Z'"
    assert 1 <= variables["first"] <= 250


@respx.mock
def test_page_size_is_capped_so_a_query_stays_under_1000_points(policy: Any, budget: Any) -> None:
    from connectors.shopify import documents, querycost

    route = respx.post(URL).mock(return_value=httpx.Response(200, json=page([], None)))
    client = ShopifyClient("pages.myshopify.com", "t", retry=policy, budget=budget)
    list(client.orders(page_size=250, lines_per_order=5))
    variables = json.loads(route.calls.last.request.content)["variables"]
    cost = querycost.estimate(documents.load("Orders").text, variables)
    assert cost is not None and cost <= 1000
    assert (
        querycost.estimate(documents.load("Orders").text, {**variables, "first": variables["first"] + 1})
        > 1000
    )
