"""CJ Dropshipping API 2.0 adapter against respx, with JSON in the documented shapes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import respx

from connectors.http import MalformedResponse, RateLimited, RemoteUnavailable
from connectors.suppliers.cj import CJ_BASE_URL, CJAuthError, CJRejected, CJSession, CJSupplier, TokenBucket
from hub.ports import SupplierOrderState
from tests.connectors.suppliers.helpers import Clock, no_wait, order_request

API_KEY = "CJ1234567@api@0123456789abcdef"
BASE = CJ_BASE_URL


def envelope(data: object = None, code: int = 200, message: str = "Success") -> dict[str, object]:
    return {"code": code, "result": code == 200, "message": message, "data": data,
            "requestId": "8b3d9ea1-00c3-4d10-9e2b-d18041d98080"}


def token_data(access: str = "f59ac98193d64d62a9e887abea830369", days: int = 15) -> dict[str, object]:
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    return {"openId": 123456789, "accessToken": access,
            "accessTokenExpiryDate": (now + timedelta(days=days)).astimezone().isoformat(),
            "refreshToken": "f7edabe65c3b4a198b50ca8f969e36eb",
            "refreshTokenExpiryDate": (now + timedelta(days=180)).isoformat(),
            "createDate": now.isoformat()}


CREATED = {"orderId": "210711100018655344", "orderNumber": "SO-1", "shipmentOrderId": None,
           "productAmount": "19.00", "postageAmount": "4.50", "orderAmount": "23.50", "orderStatus": "UNSHIPPED",
           "cjPayUrl": "", "productInfoList": [{"variantId": "V-1", "quantity": 2}]}

DETAIL = {"orderId": "210711100018655344", "orderNum": "SO-1", "cjOrderId": "210711100018655344",
          "shippingCountryCode": "GB", "logisticName": "CJPacket Ordinary", "trackNumber": "CJPKL7160102171YQ",
          "orderWeight": 120, "orderAmount": "23.50", "productAmount": 19.00, "postageAmount": "4.50",
          "orderStatus": "SHIPPED", "createDate": "2026-11-20 10:00:00",
          "productList": [{"vid": "V-1", "quantity": "2", "sellPrice": "9.50"}]}


def supplier(clock: Clock | None = None, attempts: int = 4) -> CJSupplier:
    session = CJSession(TokenBucket(1000.0, clock=lambda: 0.0, sleep=lambda _s: None))
    return CJSupplier(API_KEY, session=session, retry=no_wait(attempts), now=clock or Clock(),
                      logistic_name="CJPacket Ordinary")


@pytest.fixture
def cj() -> respx.MockRouter:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/authentication/getAccessToken").respond(json=envelope(token_data()))
        yield router


def test_login_with_api_key_then_token_header_on_every_call(cj: respx.MockRouter) -> None:
    create = cj.post("/shopping/order/createOrderV2").respond(json=envelope(CREATED))
    status = supplier().place_order(order_request("SO-1", ("V-1", 2)))
    login = cj.routes[0].calls.last.request
    assert json.loads(login.content) == {"apiKey": API_KEY}
    sent = create.calls.last.request
    assert sent.headers["CJ-Access-Token"] == "f59ac98193d64d62a9e887abea830369"
    body = json.loads(sent.content)
    assert body["orderNumber"] == "SO-1"
    assert body["products"] == [{"vid": "V-1", "quantity": 2}]
    assert body["shippingCountryCode"] == "GB" and body["shippingZip"] == "N1 7AA"
    assert body["shippingCustomerName"] == "Ada Lovelace" and body["logisticName"] == "CJPacket Ordinary"
    assert status.remote_id == "210711100018655344" and status.state is SupplierOrderState.ACCEPTED
    assert status.product_cost == Decimal("19.00") and status.shipping_cost == Decimal("4.50")


def test_tokens_are_shared_by_clients_of_one_key(cj: respx.MockRouter) -> None:
    cj.get("/product/stock/queryByVid").respond(json=envelope([]))
    session = CJSession(TokenBucket(1000.0, clock=lambda: 0.0, sleep=lambda _s: None))
    for _ in range(3):
        CJSupplier(API_KEY, session=session, retry=no_wait()).stock(["V-1"])
    assert cj.routes[0].call_count == 1


def test_detail_with_strings_as_numbers_and_tracking(cj: respx.MockRouter) -> None:
    raw = json.dumps(envelope({**DETAIL, "productAmount": "__AMOUNT__"})).replace('"__AMOUNT__"',
                                                                                  "12345678.123456789")
    cj.get("/shopping/order/getOrderDetail", params={"orderId": "210711100018655344"}).respond(content=raw)
    status = supplier().get_order("SO-1", "210711100018655344")
    assert status is not None and status.state is SupplierOrderState.SHIPPED
    assert status.product_cost == Decimal("12345678.123456789")  # a JSON number, parsed without float
    assert status.shipping_cost == Decimal("4.50")
    assert [(s.tracking_number, s.carrier) for s in status.shipments] == [("CJPKL7160102171YQ", "CJPacket Ordinary")]


def test_error_envelope_with_http_200_is_a_permanent_rejection(cj: respx.MockRouter) -> None:
    create = cj.post("/shopping/order/createOrderV2").respond(json=envelope(None, 1602000, "Variant not found"))
    with pytest.raises(CJRejected) as caught:
        supplier().place_order(order_request("SO-1", ("V-404", 1)))
    assert caught.value.code == 1602000 and "Variant not found" in str(caught.value)
    assert create.call_count == 1  # never retried


def test_code_200_wins_over_the_http_status(cj: respx.MockRouter) -> None:
    cj.post("/shopping/order/createOrderV2").respond(500, json=envelope(CREATED))
    assert supplier().place_order(order_request("SO-1", ("V-1", 2))).remote_id == "210711100018655344"


def test_refreshes_before_expiry_with_the_refresh_token(cj: respx.MockRouter) -> None:
    clock = Clock()
    refresh = cj.post("/authentication/refreshAccessToken").respond(json=envelope(token_data("second-token")))
    stock = cj.get("/product/stock/queryByVid").respond(json=envelope([]))
    cj_supplier = supplier(clock)
    cj_supplier.stock(["V-1"])
    clock.advance(timedelta(days=14, hours=1).total_seconds())  # within a day of the 15-day expiry
    cj_supplier.stock(["V-1"])
    assert json.loads(refresh.calls.last.request.content) == {"refreshToken": "f7edabe65c3b4a198b50ca8f969e36eb"}
    assert stock.calls.last.request.headers["CJ-Access-Token"] == "second-token"
    assert cj.routes[0].call_count == 1  # no second login


def test_rejected_token_is_renewed_once_and_the_call_repeated(cj: respx.MockRouter) -> None:
    cj.post("/authentication/refreshAccessToken").respond(json=envelope(token_data("renewed")))
    stock = cj.get("/product/stock/queryByVid").mock(side_effect=[
        httpx.Response(200, json=envelope(None, 1600001, "Invalid API key or access token")),
        httpx.Response(200, json=envelope([{"vid": "V-1", "storageNum": "7"}])),
    ])
    assert supplier().stock(["V-1"])[0].quantity == 7
    assert [c.request.headers["CJ-Access-Token"] for c in stock.calls] == [
        "f59ac98193d64d62a9e887abea830369", "renewed"]


def test_wrong_api_key_is_a_permanent_auth_error_and_login_is_not_hammered(cj: respx.MockRouter) -> None:
    login = cj.post("/authentication/getAccessToken").respond(json=envelope(None, 1600005, "APIkey is wrong"))
    clock = Clock()
    s = supplier(clock)
    for _ in range(3):
        with pytest.raises(CJAuthError) as caught:
            s.stock(["V-1"])
        assert caught.value.code == 1600005
    assert login.call_count == 1  # CJ allows one getAccessToken per 5 minutes
    clock.advance(301)
    with pytest.raises(CJAuthError):
        s.stock(["V-1"])
    assert login.call_count == 2


def test_http_429_5xx_and_cj_limit_codes_are_retried(cj: respx.MockRouter) -> None:
    stock = cj.get("/product/stock/queryByVid").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(503, text="<html>busy</html>"),
        httpx.Response(200, json=envelope(None, 1600200, "Too Many Requests")),
        httpx.Response(200, json=envelope([{"vid": "V-1", "storageNum": "3"}, {"vid": "V-1",
                                                                             "totalInventoryNum": 4}])),
    ])
    assert supplier(attempts=5).stock(["V-1"])[0].quantity == 7
    assert stock.call_count == 4


def test_limit_codes_surface_as_rate_limited_when_attempts_run_out(cj: respx.MockRouter) -> None:
    cj.get("/product/stock/queryByVid").respond(json=envelope(None, 1600200, "Too Many Requests"))
    with pytest.raises(RateLimited):
        supplier(attempts=2).stock(["V-1"])


def test_malformed_bodies(cj: respx.MockRouter) -> None:
    cj.get("/product/stock/queryByVid").respond(200, text="<html>maintenance</html>")
    with pytest.raises(MalformedResponse):
        supplier().stock(["V-1"])
    cj.get("/shopping/order/getOrderDetail").respond(json=envelope({**DETAIL, "orderAmount": "12,50",
                                                                    "productAmount": None}))
    with pytest.raises(MalformedResponse):
        supplier().get_order("SO-1", "210711100018655344")


def test_busy_on_create_looks_the_order_up_before_sending_again(cj: respx.MockRouter) -> None:
    create = cj.post("/shopping/order/createOrderV2").mock(side_effect=[
        httpx.ReadTimeout("lost"),  # CJ may have created it: we cannot tell
    ])
    lookup = cj.get("/shopping/order/list").respond(json=envelope({"pageNum": 1, "pageSize": 10, "total": 1,
                                                                  "list": [{**DETAIL, "orderStatus": "UNSHIPPED",
                                                                            "trackNumber": ""}]}))
    status = supplier().place_order(order_request("SO-1", ("V-1", 2)))
    assert create.call_count == 1 and lookup.call_count == 1
    assert lookup.calls.last.request.url.params["orderIds"] == "SO-1"
    assert status.remote_id == "210711100018655344" and status.state is SupplierOrderState.ACCEPTED


def test_system_busy_with_nothing_created_is_sent_again(cj: respx.MockRouter) -> None:
    create = cj.post("/shopping/order/createOrderV2").mock(side_effect=[
        httpx.Response(200, json=envelope(None, 1600000, "System busy")),
        httpx.Response(200, json=envelope(CREATED)),
    ])
    cj.get("/shopping/order/list").respond(json=envelope({"pageNum": 1, "pageSize": 10, "total": 0, "list": []}))
    assert supplier().place_order(order_request("SO-1", ("V-1", 2))).remote_id == "210711100018655344"
    assert create.call_count == 2


def test_lookup_by_reference_only_trusts_an_exact_order_number(cj: respx.MockRouter) -> None:
    cj.get("/shopping/order/list").respond(json=envelope({"list": [{**DETAIL, "orderNum": "SO-10"}]}))
    assert supplier().get_order("SO-1") is None


def test_unknown_order_id_is_none(cj: respx.MockRouter) -> None:
    cj.get("/shopping/order/getOrderDetail").respond(json=envelope(None, 1603100, "Order not found"))
    assert supplier().get_order("SO-1", "999") is None


def test_cancel_rules(cj: respx.MockRouter) -> None:
    detail = cj.get("/shopping/order/getOrderDetail")
    delete = cj.delete("/shopping/order/deleteOrder").respond(json=envelope("210711100018655344"))
    detail.respond(json=envelope(DETAIL))  # shipped
    assert supplier().cancel_order("SO-1", "210711100018655344") is False
    assert delete.call_count == 0
    detail.respond(json=envelope({**DETAIL, "orderStatus": "UNSHIPPED", "trackNumber": ""}))
    assert supplier().cancel_order("SO-1", "210711100018655344") is True
    assert delete.calls.last.request.url.params["orderId"] == "210711100018655344"
    delete.respond(json=envelope(None, 1603002, "Order delete fail"))
    assert supplier().cancel_order("SO-1", "210711100018655344") is False


def test_secrets_never_in_repr_or_logs(cj: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    cj.get("/shopping/order/getOrderDetail").respond(json=envelope(DETAIL))
    s = supplier()
    s.get_order("SO-1", "210711100018655344")
    text = caplog.text + repr(s) + repr(s.client) + repr(s.client.session) + repr(s.client.session.tokens)
    for secret in (API_KEY, "f59ac98193d64d62a9e887abea830369", "f7edabe65c3b4a198b50ca8f969e36eb"):
        assert secret not in text
    assert "getOrderDetail" in caplog.text  # the exchange itself was logged


def test_token_bucket_paces_to_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    bucket = TokenBucket(2.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        bucket.acquire()
    assert now[0] == pytest.approx(2.0)  # 5 requests at 2/s with a burst of 1: 4 waits of 0.5 s
    assert slept == [pytest.approx(0.5)] * 4
    now[0] += 10  # idle time refills at most one burst
    assert bucket.acquire() == 0 and bucket.acquire() == pytest.approx(0.5)


def test_requests_go_through_the_bucket(cj: respx.MockRouter) -> None:
    cj.get("/product/stock/queryByVid").respond(json=envelope([]))
    now = [0.0]
    bucket = TokenBucket(1.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    s = CJSupplier(API_KEY, session=CJSession(bucket), retry=no_wait())
    s.stock(["A", "B", "C"])  # login + 3 calls at 1/s
    assert now[0] == pytest.approx(3.0)


def test_unavailable_when_cj_stays_down(cj: respx.MockRouter) -> None:
    cj.get("/product/stock/queryByVid").respond(502, text="bad gateway")
    with pytest.raises(RemoteUnavailable):
        supplier(attempts=2).stock(["V-1"])
