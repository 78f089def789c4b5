"""The /catalogue pages on each backend: unmapped first, search, keyset pages, mapping with the API's
rules (errors beside the field), removal, prices approved (pushed through the outbox) or rejected."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import AttentionItem, Mapping, OutboxMessage
from hub.services import attention, catalogue, store_sync
from tests import catalogue_builders as cb
from tests.conftest import ADMIN_TOKEN, SAME_SITE


def _signed_in(hub: Hub) -> TestClient:
    client = TestClient(create_app(hub), headers=SAME_SITE, follow_redirects=False)
    assert client.post("/login", data={"token": ADMIN_TOKEN, "next": "/catalogue"}).status_code == 303
    return client


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-listing="(\d+)">', html)


def test_listings_unmapped_first_search_pages_and_mapping(hub: Hub) -> None:
    store = cb.store(hub.db)
    acme = cb.supplier(hub.db, "acme")
    mug_offer = cb.offer(hub.db, acme, "A-MUG", "5.00", stock=12)
    cb.offer(hub.db, acme, "A-CUP", "3.00")
    mapped = cb.listing(hub.db, store, "CUP", "v1", mug_offer)
    mug = cb.listing(hub.db, store, "MUG", "v2")
    anonymous = TestClient(create_app(hub), headers=SAME_SITE, follow_redirects=False)
    assert anonymous.get("/catalogue").headers["location"] == "/login?next=/catalogue"
    assert anonymous.post(f"/catalogue/listings/{mug}/map", data={"supplier_offer": "acme:A-MUG"}).status_code == 303
    cross = TestClient(create_app(hub), headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert cross.post(f"/catalogue/listings/{mug}/map", data={"supplier_offer": "acme:A-MUG"}).status_code == 403

    client = _signed_in(hub)
    page = client.get("/catalogue")
    assert page.status_code == 200 and _rows(page.text) == [str(mug), str(mapped)]  # the unmapped one first
    assert "not mapped" in page.text and "acme:A-MUG · 12 available" in page.text
    assert _rows(client.get("/catalogue", params={"q": "mu"}).text) == [str(mug)]
    assert _rows(client.get("/catalogue", params={"status": "mapped"}).text) == [str(mapped)]
    assert "not valid" in client.get("/catalogue", params={"cursor": "x"}).text
    with hub.db.transaction() as session:  # what the stock.cover job writes for a listing running out
        attention.record(session, [attention.Cause(f"stock:{mapped}", "stock_running_out", "CUP: 2 days",
                                                   store_id=store, details={"listing_id": mapped})])
    assert _rows(client.get("/catalogue", params={"status": "running_out"}).text) == [str(mapped)]

    bad = client.post(f"/catalogue/listings/{mug}/map", data={"supplier_offer": "acme:NOPE", "quantity": "1"})
    assert bad.status_code == 200
    assert 'id="f-supplier_offer-error">supplier &#39;acme&#39; has no offer' in bad.text
    assert 'value="acme:NOPE"' in bad.text
    bad = client.post(f"/catalogue/listings/{mug}/map", data={"supplier_offer": "acme:A-MUG", "quantity": "0"})
    assert re.search(r'id="f-quantity-error">Input should be greater than or equal to 1<', bad.text)
    done = client.post(f"/catalogue/listings/{mug}/map", data={"supplier_offer": "acme:A-MUG", "quantity": "2",
                                                               "priority": ""})
    assert done.status_code == 303 and done.headers["location"] == f"/catalogue/listings/{mug}?done=mapped"
    shown = client.get(done.headers["location"])
    assert "Mapped." in shown.text and "acme:A-MUG" in shown.text
    again = client.post(f"/catalogue/listings/{mug}/map", data={"supplier_offer": "acme:A-MUG"})
    assert "already mapped" in again.text
    assert _rows(client.get("/catalogue").text) == [str(mapped), str(mug)]  # both mapped: by id

    with hub.db.read() as session:
        mapping_id = session.execute(select(Mapping.id).where(Mapping.listing_id == mug)).scalar_one()
    removed = client.post(f"/catalogue/listings/{mug}/mappings/{mapping_id}/remove")
    assert removed.status_code == 303 and "not-mapped" in client.get(f"/catalogue/listings/{mug}").text
    assert client.get("/catalogue/listings/999999").status_code == 404
    assert client.get("/catalogue/listings/abc").status_code == 404


def test_keyset_pages_never_repeat_or_skip(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    store = cb.store(hub.db)
    acme = cb.supplier(hub.db, "acme")
    offer = cb.offer(hub.db, acme, "X", "1.00")
    ids = [cb.listing(hub.db, store, f"S{i}", f"v{i}", *([offer] if i % 2 else [])) for i in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        rows, cursor = catalogue.listings_page(hub.db, cursor=cursor, limit=3)
        seen += [row.id for row in rows]
        if cursor is None:
            break
    assert seen == [ids[i] for i in (0, 2, 4, 6, 1, 3, 5)]
    client = _signed_in(hub)
    offers = client.get("/catalogue/offers", params={"supplier": "acme"})
    assert offers.status_code == 200 and "acme:X" in offers.text


def test_prices_approved_are_pushed_and_rejected_ones_stay(hub: Hub) -> None:
    store = cb.store(hub.db)
    acme = cb.supplier(hub.db, "acme")
    listings = [cb.listing(hub.db, store, f"P{i}", f"v{i}", cb.offer(hub.db, acme, f"P{i}", "5.00"))
                for i in range(3)]
    with hub.db.transaction() as session:
        attention.record(session, [attention.Cause(f"price:{lid}:20.00", store_sync.PRICE_APPROVAL, "over 20 %",
                                                   store_id=store, details={"listing_id": lid, "price": "20.00",
                                                                            "current": "10.00"})
                                   for lid in listings])
        items = list(session.execute(select(AttentionItem.id).order_by(AttentionItem.id)).scalars())
    client = _signed_in(hub)
    page = client.get("/catalogue/prices")
    assert page.status_code == 200 and "Approve all 3" in page.text and "20.00 USD" in page.text
    assert client.post(f"/catalogue/prices/{items[0]}/approve").headers["location"] == "/catalogue/prices?done=approved"
    assert client.post(f"/catalogue/prices/{items[1]}/reject").status_code == 303
    assert "no longer waits" in client.post(f"/catalogue/prices/{items[1]}/approve").text  # decided: said, not a 500
    with hub.db.read() as session:
        pushes = session.execute(select(OutboxMessage.kind, OutboxMessage.payload)).all()
    assert [(kind, payload["store_id"]) for kind, payload in pushes] == [("store.push_prices", store)]
    page = client.get("/catalogue/prices")
    assert "approved, push pending" in page.text and "rejected" in page.text
    assert client.post("/catalogue/prices/approve-all").status_code == 303
    states = {p.item_id: p.state for p in catalogue.prices(hub.db, waiting=False)}
    assert states == {items[0]: "approved", items[1]: "rejected", items[2]: "approved"}
    with hub.db.read() as session:
        assert len(session.execute(select(OutboxMessage.id)).all()) == 2
    assert catalogue.prices(hub.db, waiting=True) == []
