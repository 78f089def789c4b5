"""Supplier push API: key auth and scope, body limits and types, gzip, the real feeds."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.models import Offer, SupplierKey
from hub.services import suppliers
from tests.api.conftest import AUTH
from tests.conftest import make_settings, shared_path

CSV = b"sku,qty,price\nA1,3,10.00\nA2,0,5.50\n"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def offers_table(hub: Hub) -> list[tuple[object, ...]]:
    with hub.db.transaction() as session:
        rows = session.execute(select(Offer).order_by(Offer.id)).scalars()
        return [(o.supplier_id, o.supplier_sku, o.stock, o.cost, o.changed, o.last_feed_run_id, o.updated_at)
                for o in rows]


@pytest.fixture
def keys(hub: Hub) -> dict[str, str]:
    result = {}
    for code, currency in (("acme", "USD"), ("globex", "CZK")):
        suppliers.add_supplier(hub.db, code, code.title(), currency)
        result[code] = suppliers.create_key(hub.db, code)[1]
    return result


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    """A client on each backend (the `client` fixture is SQLite only)."""
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client


def push(api: TestClient, code: str, key: str | None, body: bytes = CSV, content_type: str = "text/csv",
         query: str = "", **headers: str) -> tuple[int, dict[str, object]]:
    all_headers = {"Content-Type": content_type, **headers, **(bearer(key) if key else {})}
    response = api.post(f"/api/v1/suppliers/{code}/feed{query}", content=body, headers=all_headers)
    return response.status_code, response.json()


def test_push_applies_and_run_is_readable(api: TestClient, hub: Hub, keys: dict[str, str]) -> None:
    status, body = push(api, "acme", keys["acme"])
    assert status == 200, body
    assert {k: body[k] for k in ("status", "rows", "accepted", "rejected", "changed")} == \
        {"status": "applied", "rows": 2, "accepted": 2, "rejected": 0, "changed": 2}
    run = api.get(f"/api/v1/suppliers/acme/feed-runs/{body['feed_run_id']}", headers=bearer(keys["acme"]))
    assert run.status_code == 200 and run.json()["run"]["status"] == "applied"
    assert api.get(f"/api/v1/suppliers/acme/feed-runs/{body['feed_run_id']}", headers=AUTH).status_code == 200
    other = api.get(f"/api/v1/suppliers/globex/feed-runs/{body['feed_run_id']}", headers=bearer(keys["globex"]))
    assert other.status_code == 404
    with hub.db.transaction() as session:
        assert session.execute(select(SupplierKey.last_used_at)).scalars().first() is not None


def test_key_of_another_supplier_is_403_and_changes_nothing(api: TestClient, hub: Hub, keys: dict[str, str]) -> None:
    assert push(api, "acme", keys["acme"])[0] == 200
    before = offers_table(hub)
    status, body = push(api, "acme", keys["globex"], b"sku,qty,price\nA1,999,1.00\n", query="?mode=full&force=true")
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert push(api, "nosuch", keys["globex"])[0] == 403
    assert offers_table(hub) == before
    run = api.get("/api/v1/suppliers/acme/feed-runs/1", headers=bearer(keys["globex"]))
    assert run.status_code == 403


def test_missing_unknown_revoked_keys_are_401(api: TestClient, hub: Hub, keys: dict[str, str]) -> None:
    assert push(api, "acme", None)[0] == 401
    assert push(api, "acme", "hubk_not-a-key")[0] == 401
    assert push(api, "acme", None, Authorization=f"Basic {keys['acme']}")[0] == 401
    key_id = suppliers.list_keys(hub.db, "acme")[0].id
    suppliers.revoke_key(hub.db, key_id)
    status, body = push(api, "acme", keys["acme"])
    assert status == 401 and "revoked" in str(body)
    assert push(api, "acme", AUTH["Authorization"].split()[1])[0] == 401  # the admin token cannot push
    assert offers_table(hub) == []


def test_413_415_and_gzip(api: TestClient, hub: Hub, keys: dict[str, str], tmp_path: Path) -> None:
    status, body = push(api, "acme", keys["acme"], content_type="application/pdf")
    assert status == 415 and "Content-Type" in str(body)
    assert push(api, "acme", keys["acme"], **{"Content-Encoding": "br"})[0] == 415
    assert push(api, "acme", keys["acme"], b"")[0] == 422
    small = make_settings(tmp_path, feed_max_bytes=1024)
    limited = Hub(settings=small, db=hub.db, cipher=TokenCipher(small.fernet_key()))
    with TestClient(create_app(limited), raise_server_exceptions=False) as client:
        big = CSV + b"".join(b"B%d,1,1.00\n" % i for i in range(200))
        status, body = push(client, "acme", keys["acme"], big)
        assert status == 413 and body["error"]["code"] == "payload_too_large"
        chunks = iter([big[:700], big[700:]])  # no Content-Length: the streamed count decides
        response = client.post("/api/v1/suppliers/acme/feed", content=chunks,
                               headers={"Content-Type": "text/csv", **bearer(keys["acme"])})
        assert response.status_code == 413
    assert offers_table(hub) == []
    status, body = push(api, "acme", keys["acme"], gzip.compress(CSV), **{"Content-Encoding": "gzip"})
    assert status == 200 and body["accepted"] == 2
    ndjson = b'{"sku": "J1", "quantity": 1, "price": "2.00"}\n{"sku": "J2", "quantity": 2, "price": "x"}\n'
    status, body = push(api, "acme", keys["acme"], ndjson, "application/x-ndjson", "?mode=delta")
    assert status == 200 and (body["accepted"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["line"] == 2 and body["errors"][0]["field"] == "cost"


def test_bad_query_and_unreadable_body_are_422(api: TestClient, keys: dict[str, str]) -> None:
    assert push(api, "acme", keys["acme"], query="?mode=half")[0] == 422
    status, body = push(api, "acme", keys["acme"], b"\x00\x01binary" * 50, "application/json")
    assert status == 422 and "feed run" in str(body)


def test_suspect_push_is_202_and_admin_confirms(api: TestClient, hub: Hub, keys: dict[str, str]) -> None:
    full = b"sku,qty,price\n" + b"".join(b"S%d,1,1.00\n" % i for i in range(10))
    assert push(api, "acme", keys["acme"], full)[0] == 200
    status, body = push(api, "acme", keys["acme"], b"sku,qty,price\nS1,5,1.00\n")
    assert status == 202 and body["status"] == "suspect"
    assert [o[2] for o in offers_table(hub)] == [1] * 10
    confirmed = api.post(f"/api/v1/suppliers/acme/feed-runs/{body['feed_run_id']}/confirm", headers=AUTH)
    assert confirmed.status_code == 200 and confirmed.json()["changed"] == 10
    again = api.post(f"/api/v1/suppliers/acme/feed-runs/{body['feed_run_id']}/confirm", headers=AUTH)
    assert again.status_code == 409
    runs = api.get("/api/v1/suppliers/acme/feed-runs", headers=AUTH).json()
    assert [r["status"] for r in runs] == ["applied", "applied"]


def test_real_gmc_feed_via_the_api(api: TestClient, hub: Hub, keys: dict[str, str]) -> None:
    feed = shared_path("feeds", "gmc-importpc-cz.xml").read_bytes()
    status, body = push(api, "globex", keys["globex"], feed, "application/xml")
    assert status == 200, body
    assert (body["accepted"], body["rejected"]) == (1254, 1)
    assert body["errors"] == [{"line": 1008, "field": "sku", "reason": "SKU repeated (first on line 1007)",
                               "sku": "BC-FU-LI3560"}]
    with hub.db.transaction() as session:
        rows = session.execute(select(Offer.currency, Offer.gtin)).all()
    assert len(rows) == 1254 and {c for c, _ in rows} == {"CZK"}
    assert sum(1 for _, g in rows if g) > 1000
    run = api.get(f"/api/v1/suppliers/globex/feed-runs/{body['feed_run_id']}?limit=1", headers=bearer(keys["globex"]))
    assert run.json()["rejects_total"] == 1 and run.json()["rejects"][0]["sku"] == "BC-FU-LI3560"


def test_sparkling_feed_reports_defects_without_crashing(api: TestClient, keys: dict[str, str]) -> None:
    feed = shared_path("feeds", "gmc-sparkling-uk.xml").read_bytes()
    status, body = push(api, "acme", keys["acme"], gzip.compress(feed), "application/xml",
                        **{"Content-Encoding": "gzip"})
    assert status == 200, body
    assert body["accepted"] + body["rejected"] == body["rows"] == 73
    reported = body["errors"] + body["warnings"]
    assert reported and all(e["reason"] and e["line"] for e in reported)


def test_tsv_and_json_bodies(api: TestClient, keys: dict[str, str]) -> None:
    tsv = b"id\ttitle\tprice\tavailability\nX1\tThing\t15.00 USD\tin stock\nX2\tOther\t3.00 USD\tout of stock\n"
    status, body = push(api, "acme", keys["acme"], tsv, "text/tab-separated-values")
    assert status == 200 and (body["accepted"], body["rejected"]) == (2, 0)
    array = b'[{"sku": "J1", "qty": 4, "price": "2.50", "currency": "USD"}]'
    status, body = push(api, "acme", keys["acme"], array, "application/json; charset=utf-8", "?mode=delta")
    assert status == 200 and body["accepted"] == 1
