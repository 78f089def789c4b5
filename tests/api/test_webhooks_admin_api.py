"""/api/v1/webhooks on both backends: hostile deliveries are listed with their reason, a stuck one is
retried, a request after a failing background task is answered, and bad ids/statuses are 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from tests.api.conftest import AUTH
from tests.webhook_payloads import HOSTILE, body_of, connect_store, signed, valid_order


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    connect_store(hub)
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client


def _post(client: TestClient, body: bytes, webhook_id: str) -> int:
    return client.post("/webhooks/shopify", content=body, headers=signed(body, webhook_id)).status_code


def _listed(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/webhooks{query}", headers=AUTH)
    assert response.status_code == 200, response.text
    deliveries: list[dict[str, Any]] = response.json()["deliveries"]
    return deliveries


def test_hostile_deliveries_are_listed_as_errors_with_the_field_and_nothing_is_processing(
        client: TestClient) -> None:
    for index, case in enumerate(HOSTILE):
        assert _post(client, body_of(case, 300 + index), f"bad-{index}") in (200, 400)
    assert _post(client, json.dumps(valid_order(399)).encode(), "good") == 200
    errors = {row["webhook_id"]: row for row in _listed(client, "?status=error&limit=500")}
    assert set(errors) == {f"bad-{index}" for index in range(len(HOSTILE))}
    for index, case in enumerate(HOSTILE):
        assert case.field in errors[f"bad-{index}"]["error"], case.name
    assert _listed(client, "?status=processing") == []
    assert [row["webhook_id"] for row in _listed(client, "?status=processed")] == ["good"]


def test_a_delivery_in_error_is_retried_once_its_cause_is_gone(
        hub: Hub, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import hub.services.webhooks as webhooks

    real_ingest = webhooks.ingest
    broken = {"on": True}

    def flaky(session: Any, store_id: int, orders: Any, source: str) -> Any:
        if broken["on"]:
            raise RuntimeError("intake is broken today")
        return real_ingest(session, store_id, orders, source)

    monkeypatch.setattr(webhooks, "ingest", flaky)
    assert _post(client, json.dumps(valid_order(71)).encode(), "w-71") == 200
    # the request after the failing background task is answered as usual
    assert _post(client, json.dumps(valid_order(72)).encode(), "w-72") == 200
    [first, second] = sorted(_listed(client, "?status=error"), key=lambda row: row["id"])
    assert "RuntimeError: intake is broken today" in first["error"] and first["attempts"] == 1
    broken["on"] = False
    retried = client.post(f"/api/v1/webhooks/{first['id']}/retry", headers=AUTH)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "processed" and retried.json()["error"] is None
    again = client.post(f"/api/v1/webhooks/{first['id']}/retry", headers=AUTH)
    assert again.status_code == 409 and "already processed" in again.json()["error"]["message"]
    assert [row["webhook_id"] for row in _listed(client, "?status=error")] == [second["webhook_id"]]
    orders = client.get("/api/v1/orders", headers=AUTH).json()
    assert [order["external_id"] for order in orders["orders"]] == ["71"]


def test_admin_token_unknown_ids_and_statuses_are_clear_4xx(client: TestClient) -> None:
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.post("/api/v1/webhooks/1/retry").status_code == 401
    missing = client.post("/api/v1/webhooks/999/retry", headers=AUTH)
    assert missing.status_code == 404 and "no webhook delivery 999" in missing.json()["error"]["message"]
    assert client.post(f"/api/v1/webhooks/{2**63}/retry", headers=AUTH).status_code == 422
    nonsense = client.get("/api/v1/webhooks?status=nonsense", headers=AUTH)
    assert nonsense.status_code == 422 and "status" in nonsense.json()["error"]["message"]
    assert client.get("/api/v1/webhooks?limit=0", headers=AUTH).status_code == 422
