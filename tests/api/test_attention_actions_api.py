"""The attention actions over the JSON API and the page's forms: same service, same checks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.fakes import FakeRegistry, FakeSupplierAccount
from tests.integration.test_routing import order_with


def test_actions_over_the_api(sqlite_hub: Hub) -> None:
    sqlite_hub.connectors = FakeRegistry({"alpha": FakeSupplierAccount()})
    client = TestClient(create_app(sqlite_hub))
    store_id, alpha = cb.store(sqlite_hub.db), cb.supplier(sqlite_hub.db, "alpha")
    cb.listing(sqlite_hub.db, store_id, "MUG", "v-MUG")
    cb.offer(sqlite_hub.db, alpha, "A-MUG", "6.00")
    order_id = order_with(sqlite_hub, store_id, "1", ("MUG", 1), ("HAT", 1))
    route(sqlite_hub, order_id)
    items = {i["details"]["sku"]: i["id"] for i in client.get("/api/v1/attention", headers=AUTH).json()["items"]}
    mug, hat = items["MUG"], items["HAT"]

    path = f"/api/v1/attention/{mug}/actions"
    assert client.post(f"{path}/map", json={"offer": "alpha:A-MUG"}).status_code == 401
    assert client.post(f"{path}/fly", json={}, headers=AUTH).status_code == 422
    wrong = client.post(f"{path}/approve", headers=AUTH)
    assert wrong.status_code == 422 and "does not apply" in wrong.json()["error"]["message"]
    huge = client.post(f"{path}/map", json={"offer": "9" * 30}, headers=AUTH)
    assert huge.status_code == 422 and "No offer" in huge.json()["error"]["message"]
    missing = client.post(f"{path}/map", json={"offer": "alpha:NOPE"}, headers=AUTH)
    assert missing.status_code == 422 and "No offer 'alpha:NOPE'" in missing.json()["error"]["message"]
    done = client.post(f"{path}/map", json={"offer": "alpha:A-MUG"}, headers=AUTH)
    assert done.status_code == 200, done.text
    assert done.json()["closed"] is True and done.json()["message"].startswith("Routed to alpha as H")
    assert client.post(f"{path}/map", json={"offer": "alpha:A-MUG"}, headers=AUTH).status_code == 409
    assert client.get(f"/api/v1/attention/{hat}/offers", headers=AUTH).json() == {"offers": []}
    assert client.get("/api/v1/attention/999999/offers", headers=AUTH).status_code == 404

    unsaid = client.post(f"/api/v1/attention/{hat}/actions/dismiss", json={"reason": ""}, headers=AUTH)
    assert unsaid.status_code == 422 and "Say why" in unsaid.json()["error"]["message"]
    dismissed = client.post(f"/api/v1/attention/{hat}/actions/dismiss", json={"reason": "a sample"}, headers=AUTH)
    assert dismissed.json()["closed"] is True
    timeline = client.get(f"/api/v1/orders/{order_id}", headers=AUTH).text
    assert "dismissed by the admin via the API: a sample" in timeline


def test_a_refused_form_keeps_what_was_typed_beside_the_field(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    store_id = cb.store(sqlite_hub.db)
    order_id = order_with(sqlite_hub, store_id, "2", ("LAMP", 1))
    route(sqlite_hub, order_id)
    assert client.post("/attention/1/dismiss", data={"reason": "x"}).headers["location"].startswith("/login")
    client.post("/login", data={"token": ADMIN_TOKEN})
    page = client.get("/attention")
    item_id = page.text.split('action="/attention/')[1].split("/")[0]
    refused = client.post(f"/attention/{item_id}/map", data={"offer": "nobody:LAMP-9"})
    assert refused.status_code == 200
    assert f'id="e-{item_id}-offer"' in refused.text and "No offer &#39;nobody:LAMP-9&#39;" in refused.text
    assert 'value="nobody:LAMP-9"' in refused.text
    assert client.get("/attention?acted=abc&action=map&item=x").status_code == 200
    gone = client.post("/attention/999999/dismiss", data={"reason": "x"})
    assert gone.status_code == 200 and "not found" in gone.text
