"""The supplier portal over HTTP: its own cookie, scoped to one supplier and its key, expiring,
rate-limited at sign-in; another supplier's ids are 404; no admin page or API opens with it."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hub.api import portal_session, session
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import FeedRun, OutboxMessage, Shipment, Supplier, SupplierKey, SupplierOrder
from hub.services import outbox, portal, suppliers
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.conftest import SAME_SITE
from tests.integration.test_routing import order_with


def _world(hub: Hub, tmp_path: Path) -> dict[str, object]:
    store_id = cb.store(hub.db)
    ids = {code: cb.supplier(hub.db, code, kind="csv_po") for code in ("acme", "other")}
    with hub.db.transaction() as s:
        for supplier_id in ids.values():
            s.execute(update(Supplier).where(Supplier.id == supplier_id)
                      .values(config={"folder": str(tmp_path / "po")}))
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, ids["acme"], "A-MUG", "5.00"))
    cb.listing(hub.db, store_id, "BOLT", "v-BOLT", cb.offer(hub.db, ids["other"], "O-BOLT", "1.00"))
    route(hub, order_with(hub, store_id, "1", ("MUG", 2)))
    route(hub, order_with(hub, store_id, "2", ("BOLT", 3)))
    outbox.dispatch(hub, kinds=["supplier.place"])
    with hub.db.transaction() as s:
        orders = {code: s.execute(select(SupplierOrder.id, SupplierOrder.reference)
                                  .where(SupplierOrder.supplier_id == supplier_id)).one()
                  for code, supplier_id in ids.items()}
    keys = {code: suppliers.create_key(hub.db, code)[1] for code in ids}
    return {"ids": ids, "orders": orders, "keys": keys}


def _client(hub: Hub) -> TestClient:
    return TestClient(create_app(hub), headers=SAME_SITE, follow_redirects=False)


def _sign_in(client: TestClient, key: str) -> str:
    response = client.post("/supplier/login", data={"key": key})
    assert response.status_code == 303, response.text
    return response.cookies[portal_session.COOKIE]


def test_a_session_sees_and_acts_on_its_own_supplier_only(sqlite_hub: Hub, tmp_path: Path) -> None:
    world = _world(sqlite_hub, tmp_path)
    orders, keys = world["orders"], world["keys"]
    assert isinstance(orders, dict) and isinstance(keys, dict)
    client = _client(sqlite_hub)
    assert client.get("/supplier").headers["location"] == "/supplier/login?next=/supplier"
    wrong = client.post("/supplier/login", data={"key": "hub_sk_nope"})
    assert wrong.status_code == 401 and "not a valid supplier key" in wrong.text
    response = client.post("/supplier/login", data={"key": keys["acme"], "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["location"] == "/supplier"
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/supplier" in header
    assert "max-age=28800" in header
    page = client.get("/supplier")
    assert page.status_code == 200 and orders["acme"].reference in page.text
    assert orders["other"].reference not in page.text and "O-BOLT" not in page.text
    assert "A-MUG" in page.text and "40.00" not in page.text  # what to ship, not the store's prices
    assert page.headers["cache-control"] == "no-store"

    theirs = client.post(f"/supplier/orders/{orders['other'].id}/tracking", data={"carrier": "dhl", "number": "X1"})
    assert theirs.status_code == 404 and "Not found" in theirs.text
    assert client.post("/supplier/orders/999999/tracking", data={"number": "X1"}).status_code == 404
    assert client.post("/supplier/orders/abc/tracking", data={"number": "X1"}).status_code == 404
    csv = f"reference,tracking_number,carrier\n{orders['other'].reference},Z9,dhl\n".encode()
    imported = client.post("/supplier/tracking", files={"file": ("t.csv", csv, "text/csv")})
    assert imported.status_code == 200 and "no supplier order with reference" in imported.text
    assert "not acme" not in imported.text.lower()  # the same words as an unknown reference

    blank = client.post(f"/supplier/orders/{orders['acme'].id}/tracking", data={"carrier": "dhl", "number": " "})
    assert blank.status_code == 200 and "is required" in blank.text and 'value="dhl"' in blank.text
    done = client.post(f"/supplier/orders/{orders['acme'].id}/tracking",
                       data={"carrier": "dhl", "number": "DH1", "url": "https://track.example/DH1"})
    assert done.status_code == 303 and done.headers["location"].startswith("/supplier?done=tracking")
    with sqlite_hub.db.transaction() as s:
        assert s.execute(select(Shipment.tracking_number)).scalars().all() == ["DH1"]
        assert s.execute(select(OutboxMessage.kind).where(OutboxMessage.kind == "store.fulfill")).scalars().all()
    shipped = client.get("/supplier?done=tracking")
    assert "Tracking saved" in shipped.text and "DH1" in shipped.text

    other_run = _run_of(sqlite_hub, "other")
    assert client.get(f"/supplier/feeds/{other_run}").status_code == 404
    assert client.get(f"/supplier/feeds/{_run_of(sqlite_hub, 'acme')}").status_code == 200
    assert client.get("/supplier/feeds/0").status_code == 404

    card = client.get("/supplier/scorecard?days=7")
    assert card.status_code == 200 and 'id="sc-sent">1<' in card.text and "100.0 %" in card.text
    assert "10.00 USD" in card.text and "10.0000" not in card.text  # goods ordered: 2 × 5.00
    assert client.get("/supplier/scorecard?days=abc").status_code == 200  # an unknown period: the default

    out = client.post("/supplier/logout")
    assert out.status_code == 303 and client.get("/supplier").status_code == 303


def _run_of(hub: Hub, code: str) -> int:
    with hub.db.transaction() as s:
        supplier_id = s.execute(select(Supplier.id).where(Supplier.code == code)).scalar_one()
        run = FeedRun(supplier_id=supplier_id, source="push", mode="full", format="csv", status="applied")
        s.add(run)
        s.flush()
        return run.id


ADMIN_PAGES = ("/", "/orders", "/orders/1", "/attention", "/profit", "/payouts", "/expenses", "/anomalies",
               "/stores", "/suppliers", "/suppliers/acme", "/catalogue", "/jobs")


def test_the_portal_cookie_opens_no_admin_page_and_the_admin_cookie_no_portal(sqlite_hub: Hub,
                                                                              tmp_path: Path) -> None:
    world = _world(sqlite_hub, tmp_path)
    keys = world["keys"]
    assert isinstance(keys, dict)
    client = _client(sqlite_hub)
    cookie = {"Cookie": f"{portal_session.COOKIE}={_sign_in(client, keys['acme'])}"}
    bare = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    for path in ADMIN_PAGES:
        response = bare.get(path, headers=cookie)
        assert response.status_code in (303, 404), path  # the sign-in page, or no such page yet
        assert response.status_code == 404 or response.headers["location"].startswith("/login"), path
    assert bare.post("/attention/1/resolve", headers=cookie).headers["location"].startswith("/login")
    assert bare.get("/api/v1/orders", headers=cookie).status_code == 401
    assert bare.get("/api/v1/suppliers/acme/purchase-orders", headers=cookie).status_code == 401
    admin = {"Cookie": f"{session.COOKIE}={session.issue(sqlite_hub)}"}
    assert bare.get("/supplier", headers=admin).headers["location"].startswith("/supplier/login")


def test_sessions_end_on_expiry_tampering_and_revocation(sqlite_hub: Hub, tmp_path: Path) -> None:
    world = _world(sqlite_hub, tmp_path)
    keys = world["keys"]
    assert isinstance(keys, dict)
    client = _client(sqlite_hub)
    owner = portal.sign_in(sqlite_hub.db, keys["acme"])
    assert owner is not None
    stale = portal_session.issue(sqlite_hub, owner, now=time.time() - portal_session.LIFETIME_SECONDS - 1)
    fresh = portal_session.issue(sqlite_hub, owner)
    bare = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)

    def status(value: str) -> int:
        return bare.get("/supplier", headers={"Cookie": f"{portal_session.COOKIE}={value}"}).status_code

    assert status(fresh) == 200 and status(stale) == 303
    supplier_id, key_id, expires, signature = fresh.split(".")
    other_id = world["ids"]["other"]  # type: ignore[index]
    assert status(f"{other_id}.{key_id}.{expires}.{signature}") == 303  # another supplier's id: signature fails
    assert status(f"{supplier_id}.{key_id}.{int(expires) + 9999}.{signature}") == 303
    forged = portal_session.issue(sqlite_hub, portal.PortalOwner(key_id=int(key_id), supplier_id=int(other_id),
                                                                  supplier_code="other", supplier_name="",
                                                                  rights=frozenset()))
    assert status(forged) == 303  # even well signed: that key is not the other supplier's
    expired = bare.get("/supplier", headers={"Cookie": f"{portal_session.COOKIE}={stale}"})
    assert portal_session.COOKIE in expired.headers.get("set-cookie", "")  # forgotten
    suppliers.revoke_key(sqlite_hub.db, int(key_id))
    assert status(fresh) == 303  # revoking the key ends the session at once
    _sign_in(client, keys["other"])
    assert client.get("/supplier").status_code == 200


def test_a_session_is_scoped_like_its_key(sqlite_hub: Hub, tmp_path: Path) -> None:
    world = _world(sqlite_hub, tmp_path)
    keys, orders = world["keys"], world["orders"]
    assert isinstance(keys, dict) and isinstance(orders, dict)
    with sqlite_hub.db.transaction() as s:
        s.execute(update(SupplierKey).values(scopes=["orders"]))
    client = _client(sqlite_hub)
    _sign_in(client, keys["acme"])
    page = client.get("/supplier")
    assert page.status_code == 200 and orders["acme"].reference in page.text
    assert "Mark shipped" not in page.text and "/supplier/feeds" not in page.text
    assert client.post(f"/supplier/orders/{orders['acme'].id}/tracking", data={"number": "N1"}).status_code == 404
    assert client.get("/supplier/feeds").status_code == 404
    assert client.post("/supplier/feeds", files={"file": ("f.csv", b"sku\n", "text/csv")}).status_code == 404
    with sqlite_hub.db.transaction() as s:
        s.execute(update(SupplierKey).values(scopes=[]))
    assert client.get("/supplier").status_code == 404  # a key with no scope opens nothing


def test_sign_in_is_rate_limited_per_address(sqlite_hub: Hub, tmp_path: Path) -> None:
    world = _world(sqlite_hub, tmp_path)
    keys = world["keys"]
    assert isinstance(keys, dict)
    client = _client(sqlite_hub)
    for _ in range(10):
        assert client.post("/supplier/login", data={"key": "wrong"}).status_code == 401
    blocked = client.post("/supplier/login", data={"key": keys["acme"]})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many failed attempts" in blocked.text
    assert client.post("/login", data={"token": "wrong"}).status_code == 401  # the admin door counts apart


def test_portal_forms_are_refused_from_another_site(sqlite_hub: Hub, tmp_path: Path) -> None:
    world = _world(sqlite_hub, tmp_path)
    keys, orders = world["keys"], world["orders"]
    assert isinstance(keys, dict) and isinstance(orders, dict)
    client = _client(sqlite_hub)
    _sign_in(client, keys["acme"])
    evil = {"Origin": "https://evil.example"}
    assert client.post("/supplier/login", data={"key": keys["acme"]}, headers=evil).status_code == 403
    assert client.post(f"/supplier/orders/{orders['acme'].id}/tracking", data={"number": "X"},
                       headers=evil).status_code == 403
    with sqlite_hub.db.transaction() as s:
        assert s.execute(select(Shipment.id)).first() is None
    for target, where in (("/suppliers", "/supplier"), ("/supplier/feeds", "/supplier/feeds"),
                          ("//evil.example", "/supplier"), ("/supplier/\\evil", "/supplier")):
        response = client.post("/supplier/login", data={"key": keys["acme"], "next": target})
        assert response.headers["location"] == where, target
