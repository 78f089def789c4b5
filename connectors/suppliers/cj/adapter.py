"""`CJSupplier`: the `Supplier` port over CJ Dropshipping API 2.0.

CJ does not honour an idempotency key, so exactly-once rests on our reference, sent as
`orderNumber`: the core looks the order up (`get_order(reference)`) before re-sending after a
crash, and `place_order` itself looks it up before any retry of its own that follows an answer it
never got (timeout, connection lost, 5xx, "system busy"), because CJ may have created the order.

Look-up by our reference: `GET /shopping/order/list?orderIds=<reference>` and keep only an entry
whose `orderNum` equals the reference exactly (an answer that matches loosely is never trusted).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.http import MalformedResponse, RemoteUnavailable, RetryPolicy
from connectors.suppliers.cj.client import CJ_BASE_URL, CJClient, CJSession
from connectors.suppliers.cj.errors import ORDER_DELETE_FAIL, CJNotFound, CJRejected
from connectors.suppliers.cj.mappers import DEFAULT_PAY_TYPE, order_body, status_from_order, whole
from hub.ports import StockLevel, SupplierOrderRequest, SupplierOrderState, SupplierOrderStatus

logger = logging.getLogger(__name__)


class CJSupplier:
    """CJ as a supplier. `requests_per_second` is the account level's documented rate (Free 1,
    Plus 2, Prime 4, Advanced 6); `logistic_name` (e.g. "CJPacket Ordinary") and
    `from_country_code` (the warehouse, "CN" by default) go on every order."""

    honours_idempotency_key = False

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = CJ_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        logistic_name: str | None = None,
        from_country_code: str = "CN",
        pay_type: int = DEFAULT_PAY_TYPE,
        platform: str | None = None,
        requests_per_second: float = 1.0,
        retry: RetryPolicy | None = None,
        session: CJSession | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = CJClient(api_key, base_url=base_url, transport=transport, session=session,
                               requests_per_second=requests_per_second, now=now)
        self.logistic_name = logistic_name
        self.from_country_code = from_country_code
        self.pay_type = pay_type
        self.platform = platform
        self._retry = retry or RetryPolicy(attempts=4, initial_wait=1.0)

    def __repr__(self) -> str:
        return f"CJSupplier({self.client!r})"

    def place_order(self, request: SupplierOrderRequest) -> SupplierOrderStatus:
        body = order_body(request, logistic_name=self.logistic_name, from_country_code=self.from_country_code,
                          pay_type=self.pay_type, platform=self.platform)
        unsure = False  # did an attempt end without knowing whether CJ created the order?

        def attempt() -> SupplierOrderStatus:
            nonlocal unsure
            if unsure:
                found = self._find(request.reference)
                if found is not None:
                    logger.info("CJ already has order %s (%s); not sending it again", request.reference,
                                found.remote_id)
                    return found
            try:
                data = self.client.call("POST", "/shopping/order/createOrderV2", json=body)
            except RemoteUnavailable:
                unsure = True
                raise
            status = status_from_order(data, request.reference)
            if status.reference != request.reference:
                raise MalformedResponse(f"CJ echoed order number {status.reference!r}, not {request.reference!r}")
            return status

        return self._retry.call(attempt)

    def get_order(self, reference: str, remote_id: str | None = None) -> SupplierOrderStatus | None:
        if remote_id:
            return self._retry.call(lambda: self._detail(remote_id, reference))
        return self._retry.call(lambda: self._find(reference))

    def cancel_order(self, reference: str, remote_id: str | None = None) -> bool:
        status = self.get_order(reference, remote_id)
        if status is None:
            raise CJNotFound(1603100, f"no CJ order for {reference}", None, 200)
        if status.state is SupplierOrderState.CANCELLED:
            return True
        if status.state in (SupplierOrderState.SHIPPED, SupplierOrderState.DELIVERED):
            return False
        try:
            self._retry.call(lambda: self.client.call("DELETE", "/shopping/order/deleteOrder",
                                                      params={"orderId": status.remote_id}))
        except CJRejected as exc:
            if exc.code == ORDER_DELETE_FAIL:  # CJ is already processing it
                return False
            raise
        return True

    def stock(self, skus: Sequence[str]) -> list[StockLevel]:
        """Stock per variant id (`vid`): the sum over CJ's warehouses."""
        levels = []
        for vid in skus:
            data = self._retry.call(lambda vid=vid: self.client.call(  # type: ignore[misc]
                "GET", "/product/stock/queryByVid", params={"vid": vid}))
            levels.append(StockLevel(vid, _stock_total(data)))
        return levels

    def close(self) -> None:
        self.client.close()

    def _detail(self, remote_id: str, reference: str | None) -> SupplierOrderStatus | None:
        try:
            data = self.client.call("GET", "/shopping/order/getOrderDetail", params={"orderId": remote_id})
        except CJNotFound:
            return None
        if data is None:
            return None
        return status_from_order(data, reference)

    def _find(self, reference: str) -> SupplierOrderStatus | None:
        try:
            data = self.client.call("GET", "/shopping/order/list",
                                    params={"orderIds": reference, "pageNum": "1", "pageSize": "10"})
        except CJNotFound:
            return None
        entries = data.get("list") if isinstance(data, dict) else None
        if entries is None:
            return None
        if not isinstance(entries, list):
            raise MalformedResponse("CJ order list is not a list")
        for entry in entries:
            if isinstance(entry, dict) and str(entry.get("orderNum") or entry.get("orderNumber") or "") == reference:
                return status_from_order(entry, reference)
        return None


def _stock_total(data: Any) -> int:
    """queryByVid answers a list of warehouses, each with `storageNum` (older) or `totalInventoryNum`."""
    if data is None:
        return 0
    rows = data if isinstance(data, list) else [data]
    total = 0
    for row in rows:
        if not isinstance(row, dict):
            raise MalformedResponse("CJ stock row is not an object")
        value = row.get("totalInventoryNum", row.get("storageNum"))
        total += max(0, whole(value, "storageNum"))
    return total
