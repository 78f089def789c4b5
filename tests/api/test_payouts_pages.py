"""/api/v1/payouts and the /payouts pages: admin only, a clear 4xx for bad input, the page's numbers
equal the API's."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.domain.money import Money
from hub.domain.storefront import BalanceTransaction
from hub.domain.storefront import Payout as RemotePayout
from hub.services import payments
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.factories import T0
from tests.integration.money_helpers import D, known_order


def _payout(hub: Hub) -> int:
    store = cb.store(hub.db)
    order_id = known_order(hub, store, "1")
    usd = "USD"
    with hub.db.transaction() as session:
        payments.store_payout(session, store, RemotePayout("po-1", "paid", T0, Money(D("51.00"), usd)), [
            BalanceTransaction("b1", "charge", Money(D("53.00"), usd), Money(D("2.00"), usd), Money(D("51.00"), usd),
                               T0, order_id="1")])
    return order_id


def test_payouts_api_lists_and_explains(client: TestClient, sqlite_hub: Hub) -> None:
    order_id = _payout(sqlite_hub)
    assert client.get("/api/v1/payouts").status_code == 401
    body = client.get("/api/v1/payouts", headers=AUTH).json()
    [payout] = body["payouts"]
    assert (payout["expected"], payout["received"], payout["difference"]) == ("53.00", "51.00", "-2.00")
    assert payout["explained"] == ["fee 2.00 higher than recorded"] and payout["store"] == "Shop"
    detail = client.get(f"/api/v1/payouts/{payout['id']}", headers=AUTH).json()
    assert detail["differences"] == [{"cause": "fee_higher", "amount": "-2.00", "order_id": order_id,
                                      "order_name": "#1", "words": "fee for order #1 2.00 higher than recorded"}]
    missing = client.get("/api/v1/payouts/999999", headers=AUTH)
    assert missing.status_code == 404 and "payout 999999 not found" in missing.text
    for bad in ("/api/v1/payouts/0", "/api/v1/payouts/abc", "/api/v1/payouts?wait_days=-1",
                "/api/v1/payouts?limit=0", "/api/v1/payouts?store=x"):
        response = client.get(bad, headers=AUTH)
        assert response.status_code == 422, (bad, response.text)


def test_payout_pages_need_sign_in_and_show_the_apis_numbers(sqlite_hub: Hub) -> None:
    order_id = _payout(sqlite_hub)
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    for path in ("/payouts", "/payouts/1", "/anomalies"):
        assert client.get(path).headers["location"] == f"/login?next={path}"
    client.post("/login", data={"token": ADMIN_TOKEN})
    listing = client.get("/payouts")
    assert listing.status_code == 200 and "po-1" in listing.text and "fee 2.00 higher than recorded" in listing.text
    assert "53.00 USD" in listing.text and "51.00 USD" in listing.text
    detail = client.get("/payouts/1")
    assert detail.status_code == 200 and f'href="/orders/{order_id}"' in detail.text and "-2.00" in detail.text
    for path in ("/payouts/999", "/payouts/abc", "/payouts/0"):
        page = client.get(path)
        assert page.status_code == 404 and "There is no payout" in page.text
    nav = client.get("/").text
    assert 'href="/payouts"' in nav and 'href="/anomalies"' in nav
