"""/api/v1/expenses and /api/v1/profit/summary: shapes, idempotency, and a clear 4xx for bad input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.expenses import Kind
from hub.bootstrap import Hub
from hub.domain.expenses import KINDS
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.integration.money_helpers import known_order


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    """The API on each backend."""
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client


def _post(client: TestClient, *items: dict[str, Any]) -> Any:
    return client.post("/api/v1/expenses", json={"expenses": list(items)}, headers=AUTH)


def test_add_list_delete_and_summary(api: TestClient, hub: Hub) -> None:
    store_id = cb.store(hub.db)
    known_order(hub, store_id)  # revenue 49.90 USD on 2026-11-01
    created = _post(api, {"kind": "ad_spend", "date": "2026-11-01", "amount": "10.00", "currency": "USD",
                          "platform": "Facebook", "campaign": "BF"},
                    {"kind": "recurring", "date": "2026-11-01", "amount": "30.00", "currency": "usd",
                     "name": "Shopify plan", "store": "Shop"})
    assert created.status_code == 201, created.text
    rows = created.json()["expenses"]
    assert [(r["kind"], r["platform"], r["name"], r["amount"], r["store_id"], r["store_name"]) for r in rows] == [
        ("ad_spend", "facebook", "BF", "10.00", None, None),
        ("recurring", "", "Shopify plan", "30.00", store_id, "Shop")]
    again = _post(api, {"kind": "ad_spend", "date": "2026-11-01", "amount": "11.00", "currency": "USD",
                        "platform": "facebook", "campaign": "BF"})
    assert again.json()["expenses"][0]["id"] == rows[0]["id"]  # updated, not doubled
    listed = api.get("/api/v1/expenses", params={"kind": "ad_spend"}, headers=AUTH).json()["expenses"]
    assert [(r["id"], r["amount"]) for r in listed] == [(rows[0]["id"], "11.00")]

    body = api.get("/api/v1/profit/summary", params={"from": "2026-11-01", "to": "2026-11-01"}, headers=AUTH).json()
    current = body["current"]
    assert (body["from"], body["to"], body["currency"], body["store_id"]) == ("2026-11-01", "2026-11-01", "USD", None)
    assert (current["revenue"], current["contribution_profit"], current["ad_spend"], current["recurring_costs"],
            current["other_costs"], current["net_profit"], current["roas"], current["orders"]) == (
        "49.90", "49.90", "11.00", "1.00", "12.00", "37.90", "4.54", 1)
    assert body["previous"]["start"] == "2026-10-31" and body["change"]["revenue"]["absolute"] == "49.90"
    by_store = api.get("/api/v1/profit/summary", params={"from": "2026-11-01", "to": "2026-11-01",
                                                        "store": store_id}, headers=AUTH).json()["current"]
    assert (by_store["ad_spend"], by_store["recurring_costs"], by_store["roas"]) == ("0.00", "1.00", None)

    assert api.delete(f"/api/v1/expenses/{rows[0]['id']}", headers=AUTH).json() == {"id": rows[0]["id"],
                                                                                    "deleted": True}
    missing = api.delete(f"/api/v1/expenses/{rows[0]['id']}", headers=AUTH)
    assert missing.status_code == 404 and "not found" in missing.json()["error"]["message"]


@pytest.mark.parametrize("item, message", [
    ({"kind": "ad_spend", "date": "2026-11-01", "amount": "1", "currency": "USD"}, "expenses[0].platform: is required"),
    ({"kind": "one_off", "date": "2026-11-01", "amount": "1", "currency": "USD"}, "expenses[0].name: is required"),
    ({"kind": "one_off", "date": "2026-02-30", "amount": "1", "currency": "USD", "name": "x"}, "not a real day"),
    ({"kind": "one_off", "date": "2026-11-01", "amount": "1.5", "currency": "JPY", "name": "x"},
     "more than 0 decimals for JPY"),
    ({"kind": "one_off", "date": "2026-11-01", "amount": "1", "currency": "XYZ", "name": "x"}, "ISO 4217"),
    ({"kind": "one_off", "date": "2026-11-01", "amount": 1, "currency": "USD", "name": "x"}, "decimal string"),
    ({"kind": "one_off", "date": "2026-11-01", "amount": "1", "currency": "USD", "name": "x", "store": "Nope"},
     "expenses[0].store: no store named 'Nope'"),
    ({"kind": "one_off", "date": "2026-11-01", "amount": "1", "currency": "USD", "name": "x", "end": "2026-12-01"},
     "expenses[0].end: only a recurring cost has an end day"),
    ({"kind": "monthly", "date": "2026-11-01", "amount": "1", "currency": "USD"}, "expenses[0].kind"),
])
def test_bad_expenses_are_422_naming_the_item_and_field(client: TestClient, item: dict[str, Any],
                                                        message: str) -> None:
    response = _post(client, item)
    assert response.status_code == 422, response.text
    assert message in response.json()["error"]["message"]
    assert client.get("/api/v1/expenses", headers=AUTH).json() == {"expenses": []}  # nothing half-stored


def test_summary_parameters_and_auth(client: TestClient) -> None:
    for params, message in [({"from": "2026-11-02", "to": "2026-11-01"}, "before"), ({"to": "2026-11-01"}, "required"),
                            ({"from": "2026-11-01", "to": "2026-11-01", "currency": "XYZ"}, "unknown currency"),
                            ({"from": "2026-11-01", "to": "2026-13-01"}, "YYYY-MM-DD")]:
        response = client.get("/api/v1/profit/summary", params=params, headers=AUTH)
        assert response.status_code == 422 and message in response.json()["error"]["message"], params
    assert client.get("/api/v1/profit/summary", params={"from": "2026-11-01", "to": "2026-11-01"}).status_code == 401
    assert client.get("/api/v1/expenses").status_code == 401
    assert client.post("/api/v1/expenses", json={"expenses": []}).status_code == 401
    assert client.delete("/api/v1/expenses/1").status_code == 401
    assert _post(client).status_code == 422  # an empty list


def test_kind_literal_matches_the_domain() -> None:
    assert get_args(Kind) == KINDS
