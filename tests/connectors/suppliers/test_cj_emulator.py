"""CJSupplier against the CJ emulator: exactly-once through lost answers, tokens, cancel, ASGI."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from connectors.suppliers.cj import CJSession, CJSupplier, TokenBucket
from connectors.suppliers.cj.emulator import DEMO_API_KEY, CJEmulator, create_app
from hub.ports import SupplierOrderState
from tests.connectors.suppliers.helpers import no_wait, order_request


class LoseAnswers(httpx.BaseTransport):
    """Passes requests to `inner` but loses the answer of every `every`-th createOrderV2 (after CJ
    processed it): the case where a blind re-send would order twice."""

    def __init__(self, inner: httpx.BaseTransport, every: int = 2) -> None:
        self.inner, self.every, self.seen = inner, every, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/createOrderV2"):
            self.seen += 1
            if self.seen % self.every == 0:
                raise httpx.ReadTimeout("answer lost", request=request)
        return response


def make(emulator: CJEmulator, transport: httpx.BaseTransport | None = None) -> CJSupplier:
    session = CJSession(TokenBucket(1000.0, clock=lambda: 0.0, sleep=lambda _s: None))
    return CJSupplier(DEMO_API_KEY, base_url="http://cj/api2.0/v1", transport=transport or emulator.transport(),
                      session=session, retry=no_wait())


def test_lost_answers_never_double_an_order() -> None:
    cj = CJEmulator()
    supplier = make(cj, LoseAnswers(cj.transport(), every=2))
    for n in range(10):
        status = supplier.place_order(order_request(f"SO-{n}", ("SBX-0001-1", 1)))
        assert status.reference == f"SO-{n}"
    stats = cj.stats()
    assert stats["create_requests"] == 10
    assert stats["duplicates"] == []
    assert set(stats["orders_per_number"].values()) == {1} and len(stats["orders_per_number"]) == 10


def test_a_blind_resend_would_have_doubled() -> None:
    """The emulator does not deduplicate orderNumber, like CJ: the test above can fail."""
    cj = CJEmulator()
    supplier = make(cj)
    supplier.place_order(order_request("SO-1", ("SBX-0001-1", 1)))
    supplier.place_order(order_request("SO-1", ("SBX-0001-1", 1)))
    assert cj.stats()["duplicates"] == ["SO-1"]


def test_order_life_cycle_and_expired_token() -> None:
    cj = CJEmulator()
    supplier = make(cj)
    placed = supplier.place_order(order_request("SO-1", ("SBX-0002-1", 2)))
    assert placed.state is SupplierOrderState.ACCEPTED and placed.product_cost is not None
    cj.expire_tokens()
    found = supplier.get_order("SO-1")
    assert found is not None and found.remote_id == placed.remote_id
    assert cj.stats()["refreshes"] == 1 and cj.stats()["logins"] == 1
    cj.ship(placed.remote_id)
    shipped = supplier.get_order("SO-1", placed.remote_id)
    assert shipped is not None and shipped.state is SupplierOrderState.SHIPPED and shipped.shipments
    assert supplier.cancel_order("SO-1", placed.remote_id) is False
    other = supplier.place_order(order_request("SO-2", ("SBX-0002-1", 1)))
    assert supplier.cancel_order("SO-2", other.remote_id) is True
    assert supplier.get_order("SO-2").state is SupplierOrderState.CANCELLED
    assert supplier.stock(["SBX-0002-1"])[0].quantity == 997


def test_asgi_app() -> None:
    cj = CJEmulator()
    with TestClient(create_app(cj), base_url="http://cj") as client:
        token = client.post("/api2.0/v1/authentication/getAccessToken", json={"apiKey": DEMO_API_KEY}).json()
        assert token["code"] == 200
        headers = {"CJ-Access-Token": token["data"]["accessToken"]}
        stock = client.get("/api2.0/v1/product/stock/queryByVid", params={"vid": "SBX-0001-1"}, headers=headers)
        assert stock.json()["data"][0]["storageNum"] == "1000"
        wrong = client.get("/api2.0/v1/product/stock/queryByVid", params={"vid": "x"}, headers={})
        assert wrong.status_code == 200 and wrong.json()["code"] == 1600002
        assert client.get("/_stats").json()["logins"] == 1
