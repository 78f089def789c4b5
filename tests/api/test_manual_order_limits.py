"""`POST /api/v1/orders` on both backends: an order the database could not hold is a 422 naming the
field (the same limits as webhooks, hub/domain/limits.py), never a 500; the edge values are taken."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from tests.api.conftest import AUTH


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client


def _order(reference: str, line: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference, "currency": "USD", "email": "ann@example.com",
        "shipping_address": {"name": "Ann", "address1": "5 Elm St", "city": "Boston", "country_code": "US"},
        "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "12.50", **(line or {})}],
    }
    body.update(changes)
    return body


CASES = [
    ({"quantity": 2**63}, {}, "quantity"),
    ({"quantity": 2**31}, {}, "quantity"),
    ({"unit_price": "1e30"}, {}, "unit_price"),
    ({"unit_price": "12.505"}, {}, "unit_price"),
    ({"title": "Mug\x00"}, {}, "title"),
    ({"title": "t" * 1001}, {}, "title"),
    ({}, {"email": "a" * 309 + "@example.com"}, "email"),
    ({}, {"email": "ann\x00@example.com"}, "email"),
    ({}, {"shipping": "922337203685477.5808"}, "shipping"),
    ({}, {"currency": "JPY"}, "unit_price"),
    ({}, {"shipping_address": {"address1": "5 Elm\x00", "city": "Boston", "country_code": "US"}}, "address1"),
]


def test_manual_orders_beyond_the_database_limits_are_422_naming_the_field(client: TestClient) -> None:
    for index, (line, changes, field) in enumerate(CASES):
        response = client.post("/api/v1/orders", json=_order(f"LIM-{index}", line, **changes), headers=AUTH)
        assert response.status_code == 422, (field, response.status_code, response.text)
        assert field in response.json()["error"]["message"], (field, response.text)
    assert client.get("/api/v1/orders", headers=AUTH).json()["orders"] == []
    edge = _order("LIM-EDGE", {"quantity": 2**31 - 1, "title": "t" * 1000, "unit_price": "0.01"},
                  email="a" * 308 + "@example.com")
    created = client.post("/api/v1/orders", json=edge, headers=AUTH)
    assert created.status_code == 201, created.text
    assert created.json()["lines"][0]["quantity"] == 2**31 - 1
