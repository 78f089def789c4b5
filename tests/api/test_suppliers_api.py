"""Admin API of suppliers and keys: validation, duplicates, keys shown once, revocation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.bootstrap import Hub
from tests.api.conftest import AUTH
from tests.feed_helpers import PUBLIC, static_resolver


def create(client: TestClient, **fields: object) -> tuple[int, dict[str, object]]:
    body = {"code": "acme", "name": "Acme", "currency": "usd", **fields}
    response = client.post("/api/v1/suppliers", json=body, headers=AUTH)
    return response.status_code, response.json()


def test_create_list_get(client: TestClient, sqlite_hub: Hub) -> None:
    sqlite_hub.resolver = static_resolver({"x.test": [PUBLIC]})
    status, body = create(client, mapping={"sku": "Item"}, default_quantity=5, feed_url="https://x.test/f.xml")
    assert status == 201, body
    got = (body["code"], body["currency"], body["mapping"], body["default_quantity"])
    assert got == ("acme", "USD", {"sku": "Item"}, 5)
    assert [s["code"] for s in client.get("/api/v1/suppliers", headers=AUTH).json()] == ["acme"]
    assert client.get("/api/v1/suppliers/acme", headers=AUTH).json()["name"] == "Acme"
    missing = client.get("/api/v1/suppliers/nope", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_validation_errors_are_clear_4xx(client: TestClient) -> None:
    assert create(client)[0] == 201
    status, body = create(client)
    assert status == 409 and "already exists" in body["error"]["message"]
    cases = [({"code": "Bad Code"}, "code: must be 2 to 64 characters"),
             ({"code": "b2", "currency": "XYZ"}, "unknown currency"),
             ({"code": "b3", "mapping": {"nope": "x"}}, "unknown field"), ({"code": "b4", "kind": "magic"}, "kind"),
             ({"code": "b5", "feed_url": "ftp://x"}, "feed URL"), ({"code": "b6", "default_quantity": -1}, "quantity")]
    for fields, needle in cases:
        status, body = create(client, **fields)
        assert status == 422, (fields, body)
        assert needle in body["error"]["message"]
    status, body = create(client, code="b7", mapping="not an object")
    assert status == 422 and body["error"]["code"] == "invalid"


def test_keys_are_shown_once_listed_without_secret_and_revocable(client: TestClient) -> None:
    create(client)
    first = client.post("/api/v1/suppliers/acme/keys", json={"label": "nightly"}, headers=AUTH)
    second = client.post("/api/v1/suppliers/acme/keys", headers=AUTH)
    assert first.status_code == 201 and second.status_code == 201
    key = first.json()["key"]
    assert key.startswith("hubk_") and key != second.json()["key"]
    listed = client.get("/api/v1/suppliers/acme/keys", headers=AUTH)
    assert [k["label"] for k in listed.json()] == ["nightly", None]
    assert key not in listed.text and "key" not in listed.json()[0]
    key_id = first.json()["id"]
    revoked = client.delete(f"/api/v1/suppliers/acme/keys/{key_id}", headers=AUTH)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.delete(f"/api/v1/suppliers/other/keys/{key_id}", headers=AUTH).status_code == 404
    assert client.post("/api/v1/suppliers/nope/keys", headers=AUTH).status_code == 404
