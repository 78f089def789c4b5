"""A small CJ API 2.0 emulator for the demo and tests: tokens, createOrderV2, order list/detail,
deleteOrder, stock by vid — in CJ's envelope, amounts as strings like CJ sends them.

Like CJ it does NOT deduplicate `orderNumber` (the worst case: a blind re-send makes a second
order), so `stats()["orders_per_number"]` shows whether a client kept exactly-once. Reachable
in-process (`transport()`) and as ASGI (`create_app`). Control: `ship(order_id)`,
`expire_tokens()`, and `POST /_ship {"orderId"}`, `GET /_stats` over HTTP.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PREFIX = "/api2.0/v1"
DEMO_API_KEY = "CJ0000000@api@sandbox"  # the emulator's well-known demo key


@dataclass
class Variant:
    vid: str
    price: Decimal
    postage: Decimal
    stock: int


@dataclass
class CJOrder:
    order_id: str
    order_number: str
    status: str
    products: list[tuple[str, int]]
    product_amount: Decimal
    postage_amount: Decimal
    logistic_name: str
    created: datetime
    track_number: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id, "orderNum": self.order_number, "cjOrderId": self.order_id,
            "orderStatus": self.status, "logisticName": self.logistic_name, "trackNumber": self.track_number,
            "productAmount": str(self.product_amount), "postageAmount": str(self.postage_amount),
            "orderAmount": str(self.product_amount + self.postage_amount),
            "createDate": self.created.isoformat(timespec="seconds"),
            "productList": [{"vid": vid, "quantity": str(q)} for vid, q in self.products],
        }


def demo_variants() -> dict[str, Variant]:
    """Variants whose ids are the sandbox shop's SKUs, so the demo maps them by SKU."""
    return {f"SBX-{p:04d}-{v}": Variant(f"SBX-{p:04d}-{v}", Decimal(f"{3 + p}.{v}9"), Decimal("3.50"), 1000)
            for p in range(1, 21) for v in range(1, 4)}


@dataclass
class CJEmulator:
    api_key: str = DEMO_API_KEY
    variants: dict[str, Variant] = field(default_factory=demo_variants)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    access: dict[str, datetime] = field(default_factory=dict)  # access token → expiry
    refresh: dict[str, datetime] = field(default_factory=dict)
    orders: dict[str, CJOrder] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # -- envelope ------------------------------------------------------------------------------

    @staticmethod
    def envelope(code: int, data: Any = None, message: str = "Success") -> dict[str, Any]:
        return {"code": code, "result": code == 200, "message": message, "data": data,
                "requestId": secrets.token_hex(8)}

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
               ) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.counts["requests"] += 1
            route = path.removeprefix(PREFIX)
            params = {k: v[0] for k, v in parse_qs(query).items()}
            try:
                payload = json.loads(body) if body else {}
            except ValueError:
                return 200, self.envelope(1600300, None, "Warning: wrong json format.")
            if route == "/authentication/getAccessToken" and method == "POST":
                return 200, self._login(payload)
            if route == "/authentication/refreshAccessToken" and method == "POST":
                return 200, self._refresh(payload)
            token = {k.lower(): v for k, v in headers.items()}.get("cj-access-token")
            if not token:
                return 200, self.envelope(1600002, None, "CJ-Access-Token not found")
            if self.access.get(token, datetime.min.replace(tzinfo=UTC)) <= self.now():
                return 200, self.envelope(1600001, None, "Invalid API key or access token")
            handler = {
                ("POST", "/shopping/order/createOrderV2"): self._create,
                ("GET", "/shopping/order/getOrderDetail"): self._detail,
                ("GET", "/shopping/order/list"): self._list,
                ("DELETE", "/shopping/order/deleteOrder"): self._delete,
                ("GET", "/product/stock/queryByVid"): self._stock,
            }.get((method, route))
            if handler is None:
                return 404, self.envelope(1600101, None, "Interface not found")
            return 200, handler({**params, **payload} if isinstance(payload, dict) else params)

    # -- tokens --------------------------------------------------------------------------------

    def _issue(self) -> dict[str, Any]:
        now = self.now()
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.access[access] = now + timedelta(days=15)
        self.refresh[refresh] = now + timedelta(days=180)
        return self.envelope(200, {
            "openId": 1, "accessToken": access, "accessTokenExpiryDate": self.access[access].isoformat(),
            "refreshToken": refresh, "refreshTokenExpiryDate": self.refresh[refresh].isoformat(),
            "createDate": now.isoformat()})

    def _login(self, payload: Any) -> dict[str, Any]:
        self.counts["logins"] += 1
        if not isinstance(payload, dict) or payload.get("apiKey") != self.api_key:
            return self.envelope(1600005, None, "APIkey is wrong, please check and try again")
        return self._issue()

    def _refresh(self, payload: Any) -> dict[str, Any]:
        self.counts["refreshes"] += 1
        token = payload.get("refreshToken") if isinstance(payload, dict) else None
        if not token or self.refresh.pop(token, datetime.min.replace(tzinfo=UTC)) <= self.now():
            return self.envelope(1600003, None, "Refresh token is failure")
        return self._issue()

    def expire_tokens(self) -> None:
        self.access.clear()

    # -- orders --------------------------------------------------------------------------------

    def _create(self, p: dict[str, Any]) -> dict[str, Any]:
        self.counts["create_requests"] += 1
        number, products = p.get("orderNumber"), p.get("products")
        if not number or not isinstance(products, list) or not products or not p.get("shippingCountryCode"):
            return self.envelope(1600300, None, "Illegal parameter")
        lines: list[tuple[str, int]] = []
        for item in products:
            variant = self.variants.get(str(item.get("vid")))
            if variant is None:
                return self.envelope(1602000, None, "Variant not found")
            qty = int(item.get("quantity") or 0)
            if qty <= 0 or variant.stock < qty:
                return self.envelope(1600300, None, f"Insufficient inventory for {variant.vid}")
            lines.append((variant.vid, qty))
        for vid, qty in lines:
            self.variants[vid].stock -= qty
        order = CJOrder(
            order_id=f"{2100000000000000 + len(self.orders) + 1}", order_number=str(number),
            status="UNSHIPPED" if str(p.get("payType")) == "2" else "CREATED", products=lines,
            product_amount=sum((self.variants[v].price * q for v, q in lines), Decimal(0)),
            postage_amount=sum((self.variants[v].postage for v, _ in lines), Decimal(0)),
            logistic_name=str(p.get("logisticName") or "CJPacket Ordinary"), created=self.now())
        self.orders[order.order_id] = order
        data = {k: v for k, v in order.as_json().items() if k in ("orderId", "orderNum", "orderStatus",
                                                                   "productAmount", "postageAmount", "orderAmount")}
        data["orderNumber"] = data.pop("orderNum")
        return self.envelope(200, data)

    def _detail(self, p: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(p.get("orderId")))
        if order is None:
            return self.envelope(1603100, None, "Order not found, Please check the CJ order id")
        return self.envelope(200, order.as_json())

    def _list(self, p: dict[str, Any]) -> dict[str, Any]:
        wanted = {s for s in str(p.get("orderIds") or "").split(",") if s}
        found = [o.as_json() for o in self.orders.values()
                 if not wanted or o.order_id in wanted or o.order_number in wanted]
        size = int(p.get("pageSize") or 20)
        return self.envelope(200, {"pageNum": 1, "pageSize": size, "total": len(found), "list": found[:size]})

    def _delete(self, p: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(str(p.get("orderId")))
        if order is None:
            return self.envelope(1603100, None, "Order not found, Please check the CJ order id")
        if order.status in ("SHIPPED", "DELIVERED"):
            return self.envelope(1603002, None, "Order delete fail")
        order.status = "CANCELLED"
        return self.envelope(200, order.order_id)

    def _stock(self, p: dict[str, Any]) -> dict[str, Any]:
        variant = self.variants.get(str(p.get("vid")))
        if variant is None:
            return self.envelope(1602000, None, "Variant not found")
        return self.envelope(200, [{"vid": variant.vid, "areaId": "2", "areaEn": "US Warehouse",
                                    "countryCode": "US", "storageNum": str(variant.stock)}])

    def ship(self, order_id: str) -> None:
        with self.lock:
            order = self.orders[order_id]
            order.status, order.track_number = "SHIPPED", f"CJPKL{int(order_id) % 10**10:010d}"

    def stats(self) -> dict[str, Any]:
        with self.lock:
            per_number = Counter(o.order_number for o in self.orders.values())
            return {**self.counts, "orders_per_number": dict(per_number),
                    "duplicates": sorted(n for n, c in per_number.items() if c > 1)}

    # -- reachability --------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            status, payload = self.handle(request.method, request.url.path, request.url.query.decode(),
                                          dict(request.headers), request.read())
            return httpx.Response(status, json=payload)

        return httpx.MockTransport(handler)


def create_app(emulator: CJEmulator | None = None) -> Starlette:
    """The emulator as ASGI: CJ's paths under /api2.0/v1, plus GET /_stats and POST /_ship."""
    cj = emulator or CJEmulator()

    async def endpoint(request: Request) -> Response:
        path = "/" + str(request.path_params.get("path", ""))
        body = await request.body()
        if path == "/_stats":
            return Response(json.dumps(cj.stats()), media_type="application/json")
        if path == "/_ship":
            cj.ship(str(json.loads(body or b"{}").get("orderId")))
            return Response(b'{"ok":true}', media_type="application/json")
        status, payload = await run_in_threadpool(cj.handle, request.method, path, request.url.query,
                                                  dict(request.headers), body)
        return Response(json.dumps(payload), status_code=status, media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST", "DELETE"])])
    app.state.emulator = cj
    return app
