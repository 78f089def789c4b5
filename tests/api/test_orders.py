from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import Order
from hub.domain.lifecycle import LIFECYCLES
from hub.services.lifecycle import refresh_lifecycle
from tests.api.conftest import AUTH


def _order(reference: str = "PHONE-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference, "currency": "USD", "email": "ann@example.com",
        "shipping_address": {"name": "Ann", "address1": "5 Elm St", "city": "Boston", "country_code": "US"},
        "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "12.50"}], "shipping": "5.00",
    }
    body.update(changes)
    return body


def test_manual_order_is_created_once_and_readable(client: TestClient) -> None:
    created = client.post("/api/v1/orders", json=_order(), headers=AUTH)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["total_price"] == "30.00" and order["lines"][0]["unit_price"] == "12.50"
    assert [line["sku"] for line in order["lines"]] == ["MUG-1"]
    assert order["timeline"][0]["kind"] == "received"
    again = client.post("/api/v1/orders", json=_order(), headers=AUTH)
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    listing = client.get("/api/v1/orders", headers=AUTH).json()
    assert [o["id"] for o in listing["orders"]] == [order["id"]]
    assert client.get(f"/api/v1/orders/{order['id']}", headers=AUTH).json()["name"] == "PHONE-1"


def test_bad_manual_orders_get_a_clear_4xx(client: TestClient) -> None:
    cases = [
        (_order(currency="EURO"), "currency"),
        (_order(lines=[]), "lines"),
        (_order(lines=[{"sku": "A", "quantity": 0, "unit_price": "1"}]), "quantity"),
        (_order(shipping_address={"address1": "x", "city": "y", "country_code": "ZZ"}), "country_code"),
        (_order(currency="ABC"), "currency"),
    ]
    for body, needle in cases:
        response = client.post("/api/v1/orders", json=body, headers=AUTH)
        assert response.status_code == 422, (needle, response.text)
        assert needle in response.json()["error"]["message"]
    bad_json = client.post("/api/v1/orders", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert bad_json.status_code == 422
    assert client.get("/api/v1/orders", headers=AUTH).json()["orders"] == []


def test_listing_filters_and_cursor_pages(client: TestClient) -> None:
    ids = [client.post("/api/v1/orders", json=_order(f"R{i}"), headers=AUTH).json()["id"] for i in range(5)]
    first = client.get("/api/v1/orders?limit=2", headers=AUTH).json()
    second = client.get(f"/api/v1/orders?limit=2&cursor={first['next_cursor']}", headers=AUTH).json()
    third = client.get(f"/api/v1/orders?limit=2&cursor={second['next_cursor']}", headers=AUTH).json()
    seen = [o["id"] for page in (first, second, third) for o in page["orders"]]
    assert seen == sorted(ids, reverse=True) and third["next_cursor"] is None
    assert [o["name"] for o in client.get("/api/v1/orders?q=r3", headers=AUTH).json()["orders"]] == ["R3"]
    assert client.get("/api/v1/orders?cursor=garbage!", headers=AUTH).status_code == 400
    assert client.get("/api/v1/orders/999999", headers=AUTH).status_code == 404
    assert client.get("/api/v1/orders?limit=0", headers=AUTH).status_code == 422


def test_listing_filters_by_lifecycle_and_refuses_an_unknown_one(client: TestClient, sqlite_hub: Hub) -> None:
    kept, gone = (client.post("/api/v1/orders", json=_order(f"L{i}"), headers=AUTH).json() for i in range(2))
    assert kept["lifecycle"] == gone["lifecycle"] == "received"
    with sqlite_hub.db.transaction() as session:  # the store cancels one
        session.execute(update(Order).where(Order.id == gone["id"]).values(cancelled_at=utcnow(), status="cancelled"))
        refresh_lifecycle(session, [gone["id"]])

    def names(lifecycle: str) -> list[str]:
        response = client.get(f"/api/v1/orders?lifecycle={lifecycle}", headers=AUTH)
        assert response.status_code == 200, response.text
        return [o["name"] for o in response.json()["orders"]]

    assert names("received") == ["L0"] and names("cancelled") == ["L1"] and names("shipped") == []
    assert client.get(f"/api/v1/orders/{gone['id']}", headers=AUTH).json()["lifecycle"] == "cancelled"
    bad = client.get("/api/v1/orders?lifecycle=lost", headers=AUTH)
    assert bad.status_code == 422 and "lifecycle" in bad.json()["error"]["message"], bad.text
    schema = client.get("/openapi.json").json()
    param = next(p for p in schema["paths"]["/api/v1/orders"]["get"]["parameters"] if p["name"] == "lifecycle")
    ref = next(s["$ref"] for s in param["schema"]["anyOf"] if "$ref" in s).rsplit("/", 1)[-1]
    assert tuple(schema["components"]["schemas"][ref]["enum"]) == LIFECYCLES
