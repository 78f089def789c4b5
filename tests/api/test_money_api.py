"""/api/v1/profit and /api/v1/reconciliation/anomalies: shapes, and a clear 4xx for bad parameters."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.integration.money_helpers import known_order


def test_profit_rows_are_decimal_strings(client: TestClient, sqlite_hub: Hub) -> None:
    order_id = known_order(sqlite_hub, cb.store(sqlite_hub.db))
    response = client.get("/api/v1/profit", params={"from": "2026-11-01", "to": "2026-11-30", "group_by": "day"},
                          headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["currency"] == "USD" and body["group_by"] == "day"
    # No supplier order yet: incomplete, and no margin (it is not 100%).
    assert body["rows"] == [{"key": "2026-11-01", "label": "2026-11-01", "ref": "2026-11-01", "revenue": "49.90",
                             "refunds": "0.00", "fees": "0.00", "supplier_cost": "0.00", "shipping_cost": "0.00",
                             "fx": "0.00", "profit": "49.90", "margin": None, "currency": "USD", "incomplete": True,
                             "estimated": False, "fx_missing": False, "fx_missing_for": []}]
    by_product = client.get("/api/v1/profit", params={"from": "2026-11-01", "to": "2026-11-01",
                                                      "group_by": "product"}, headers=AUTH).json()["rows"]
    # Order discount -2.00 and shipping 4.90 spread on the lines by goods revenue (20:27): no empty key.
    assert [(r["key"], r["label"], r["revenue"]) for r in by_product] == [("CAP", "Cap", "21.24"),
                                                                         ("MUG", "Mug", "28.66")]
    order = client.get(f"/api/v1/orders/{order_id}", headers=AUTH).json()
    assert {line["kind"] for line in order["ledger"]} == {"sale", "discount", "shipping", "tax"}


@pytest.mark.parametrize("params, message", [
    ({"from": "2026-11-01", "to": "2026-11-30", "group_by": "nonsense"}, "group_by: must be one of"),
    ({"from": "2026-13-01", "to": "2026-11-30"}, "YYYY-MM-DD"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "before"),
    ({"to": "2026-11-01"}, "required"),
    ({"from": "2026-11-01", "to": "2026-11-30", "currency": "XYZ"}, "unknown currency"),
])
def test_bad_profit_parameters_are_422_with_a_message(client: TestClient, params: dict[str, str],
                                                      message: str) -> None:
    response = client.get("/api/v1/profit", params=params, headers=AUTH)
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_anomalies_shape_and_bad_kind(client: TestClient, sqlite_hub: Hub) -> None:
    order_id = known_order(sqlite_hub, cb.store(sqlite_hub.db))
    body = client.get("/api/v1/reconciliation/anomalies", headers=AUTH).json()
    assert [(a["kind"], a["order_id"]) for a in body["anomalies"]] == [("unsent_paid_order", order_id)]
    assert client.get("/api/v1/reconciliation/anomalies", params={"kind": "nope"}, headers=AUTH).status_code == 422
    assert client.get("/api/v1/profit", params={"from": "2026-11-01", "to": "2026-11-01"}).status_code == 401
