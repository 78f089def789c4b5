"""Dashboard pages: behind the admin-token sign-in, showing what the services know."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.ledger import record_order
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.integration.test_routing import order_with


def test_pages_need_sign_in_and_show_orders_and_attention(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    assert client.get("/").headers["location"].startswith("/login")
    assert client.get("/orders").status_code == 303
    wrong = client.post("/login", data={"token": "nope", "next": "/orders"})
    assert wrong.status_code == 401 and "not the admin token" in wrong.text
    assert "hub_session" not in wrong.cookies
    evil = client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"}, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403  # hub.api.csrf: a form from another site

    store_id = cb.store(sqlite_hub.db)
    order_id = order_with(sqlite_hub, store_id, "77", ("NOPE", 1))
    route(sqlite_hub, order_id)
    signed = client.post("/login", data={"token": ADMIN_TOKEN, "next": "//evil.example/"})
    assert signed.status_code == 303 and signed.headers["location"] == "/"  # never an open redirect
    overview = client.get("/")
    assert overview.status_code == 200 and "need attention" in overview.text
    orders = client.get("/orders?q=77")
    assert orders.status_code == 200 and "#77" in orders.text
    detail = client.get(f"/orders/{order_id}")
    assert detail.status_code == 200 and "no_mapping" in detail.text and "received" in detail.text
    assert "Not booked yet" in detail.text
    with sqlite_hub.db.transaction() as session:
        record_order(session, order_id)
    detail = client.get(f"/orders/{order_id}")  # one line of 40.00 and 4.90 shipping, nothing paid out yet
    assert "Profit <strong>44.90 USD</strong>" in detail.text and "Shipping charged" in detail.text
    assert 'id="profit-incomplete"' in detail.text and "% margin" not in detail.text  # its line is not routed
    assert "Sale, 1 x " in detail.text and f"order:{order_id}:line:" not in detail.text  # words, not references
    assert "Not found" in client.get("/orders/99999").text
    attention = client.get("/attention")
    assert "no supplier offer is mapped" in attention.text
    item_id = attention.text.split('action="/attention/')[1].split("/")[0]
    assert f'<a href="/attention#item-{item_id}">act on it</a>' in client.get(f"/orders/{order_id}").text
    refused = client.post(f"/attention/{item_id}/dismiss", data={"reason": " "})
    assert refused.status_code == 200 and "Say why it can be dismissed" in refused.text
    assert client.post(f"/attention/{item_id}/dismiss", data={"reason": "a test order"}).status_code == 303
    assert "Nothing needs attention" in client.get("/attention").text
    assert "dismissed by the admin: a test order" in client.get(f"/orders/{order_id}").text
    client.post("/logout")
    client.cookies.clear()
    assert client.get("/").status_code == 303


def test_a_changed_admin_token_signs_everybody_out(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    client.post("/login", data={"token": ADMIN_TOKEN})
    assert client.get("/").status_code == 200
    from pydantic import SecretStr

    sqlite_hub.settings.admin_token = SecretStr("rotated")
    assert client.get("/").status_code == 303


def test_an_unknown_address_is_a_page_for_a_browser_and_json_for_a_program(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/nosuchpage", headers=browser)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at /nosuchpage." in page.text and 'href="/"' in page.text
    assert client.get("/nosuchpage").json()["error"]["code"] == "not_found"  # a program asked
    api = client.get("/api/v1/nosuch", headers=browser)  # the API answers JSON even to a browser
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert client.post("/nosuchpage", headers=browser).status_code in (404, 405)
