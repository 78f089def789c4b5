"""The client paces on extensions.cost: before a call it waits until the budget covers the cost."""

from __future__ import annotations

from typing import Any

import httpx
import respx

from connectors.shopify.budget import CostBudget
from connectors.shopify.client import ShopifyClient
from tests.connectors.shopify.conftest import FakeClock

URL = "https://pace.myshopify.com/admin/api/2026-10/graphql.json"


def reply(available: int, requested: int = 400, actual: int = 400, rate: int = 50) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "data": {"shop": {"name": "x"}},
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": actual,
                    "throttleStatus": {
                        "maximumAvailable": 1000,
                        "currentlyAvailable": available,
                        "restoreRate": rate,
                    },
                }
            },
        },
    )


@respx.mock
def test_waits_before_a_call_that_would_exceed_the_bucket(policy: Any) -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    client = ShopifyClient("pace.myshopify.com", "t", retry=policy, budget=budget)
    respx.post(URL).mock(side_effect=[reply(600), reply(200), reply(0)])
    client.execute("query Q { shop { name } }", expected_cost=400)
    client.execute("query Q { shop { name } }", expected_cost=400)
    assert clock.sleeps == []  # 1000 → 600 → 200: both fit
    client.execute("query Q { shop { name } }", expected_cost=400)
    assert clock.sleeps == [4.02]  # 200 available, 400 needed (+1 to spare), 50 per second


@respx.mock
def test_time_between_calls_counts_as_refill(policy: Any) -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    client = ShopifyClient("pace.myshopify.com", "t", retry=policy, budget=budget)
    respx.post(URL).mock(side_effect=[reply(100), reply(0)])
    client.execute("query Q { shop { name } }", expected_cost=900)
    clock.advance(3.0)  # +150 points
    client.execute("query Q { shop { name } }", expected_cost=400)
    assert clock.sleeps == [3.02]  # (400 - 250 + 1) / 50


@respx.mock
def test_expected_cost_comes_from_the_cost_model_then_from_shopify(policy: Any) -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    client = ShopifyClient("pace.myshopify.com", "t", retry=policy, budget=budget)
    doc = """query Q($first: Int!) {
      orders(first: $first) { nodes { id totalPriceSet { shopMoney { amount } } } }
    }"""
    assert client.expected_cost(doc, {"first": 10}) == 2 + 10 * 3
    respx.post(URL).mock(return_value=reply(900, requested=77, actual=5))
    client.execute(doc, {"first": 10})
    assert client.expected_cost(doc, {"first": 10}) == 77  # Shopify asked for more than we modelled


@respx.mock
def test_two_clients_of_one_shop_share_the_budget(policy: Any) -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    first = ShopifyClient("pace.myshopify.com", "t", retry=policy, budget=budget)
    second = ShopifyClient("pace.myshopify.com", "t", retry=policy, budget=budget)
    respx.post(URL).mock(side_effect=[reply(100, requested=900, actual=900), reply(0)])
    first.execute("query Q { shop { name } }", expected_cost=900)
    second.execute("query Q { shop { name } }", expected_cost=300)
    assert clock.sleeps == [4.02]
    default_a = ShopifyClient("Shared.myshopify.com", "t")
    default_b = ShopifyClient("shared.myshopify.com", "u")
    assert default_a.budget is default_b.budget
