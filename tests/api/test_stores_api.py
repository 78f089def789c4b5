from __future__ import annotations

from fastapi.testclient import TestClient

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxShopify
from hub.api.app import create_app
from hub.bootstrap import Hub
from tests.api.conftest import AUTH


def test_connect_list_remove_without_ever_showing_the_token(sqlite_hub: Hub) -> None:
    sandbox = SandboxShopify()
    sqlite_hub.connectors = ConnectorRegistry(shopify_transport=sandbox.transport())
    client = TestClient(create_app(sqlite_hub))
    body = {"shop": sandbox.config.shop_domain, "token": sandbox.config.access_token, "webhook_secret": "s3"}
    created = client.post("/api/v1/stores", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    assert sandbox.config.access_token not in created.text and "s3" not in created.text
    assert client.post("/api/v1/stores", json=body, headers=AUTH).status_code == 409
    bad = client.post("/api/v1/stores", json={**body, "shop": "nope.example.com"}, headers=AUTH)
    assert bad.status_code == 422 and "myshopify.com" in bad.json()["error"]["message"]
    wrong = client.post("/api/v1/stores", json={**body, "shop": "x.myshopify.com", "token": "nope"}, headers=AUTH)
    assert wrong.status_code == 422
    listing = client.get("/api/v1/stores", headers=AUTH)
    assert [s["shop_domain"] for s in listing.json()["stores"]] == [sandbox.config.shop_domain]
    assert sandbox.config.access_token not in listing.text
    store_id = created.json()["id"]
    assert client.delete(f"/api/v1/stores/{store_id}", headers=AUTH).json()["outcome"] == "deleted"
    assert client.delete(f"/api/v1/stores/{store_id}", headers=AUTH).status_code == 404
