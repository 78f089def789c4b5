from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.integration.test_routing import order_with


def test_mappings_crud_and_the_attention_list(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub))
    store_id = cb.store(sqlite_hub.db)
    alpha = cb.supplier(sqlite_hub.db, "alpha")
    cb.offer(sqlite_hub.db, alpha, "A-MUG", "5.00")
    cb.listing(sqlite_hub.db, store_id, "MUG", "v-MUG")
    body = {"store_sku": "MUG", "supplier_offer": "alpha:A-MUG", "priority": 1}
    created = client.post("/api/v1/mappings", json=body, headers=AUTH)
    assert created.status_code == 201, created.text
    assert client.post("/api/v1/mappings", json=body, headers=AUTH).status_code == 409
    assert client.post("/api/v1/mappings", json={**body, "supplier_offer": "alpha:NOPE"},
                       headers=AUTH).status_code == 404
    assert client.post("/api/v1/mappings", json={**body, "supplier_offer": "nocolon"}, headers=AUTH).status_code == 422
    assert [m["supplier_sku"] for m in client.get("/api/v1/mappings", headers=AUTH).json()["mappings"]] == ["A-MUG"]

    order_id = order_with(sqlite_hub, store_id, "1", ("UNKNOWN", 1))
    route(sqlite_hub, order_id)
    items = client.get("/api/v1/attention", headers=AUTH).json()["items"]
    assert [(i["kind"], i["order_id"]) for i in items] == [("no_mapping", order_id)]
    assert client.post(f"/api/v1/attention/{items[0]['id']}/resolve", headers=AUTH).status_code == 200
    assert client.get("/api/v1/attention", headers=AUTH).json()["items"] == []
    assert client.delete(f"/api/v1/mappings/{created.json()['id']}", headers=AUTH).status_code == 200
    assert client.get("/api/v1/mappings", headers=AUTH).json()["mappings"] == []
