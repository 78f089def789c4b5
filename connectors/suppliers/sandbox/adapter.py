"""`SandboxSupplier`: the `Supplier` port over the sandbox supplier's JSON API.

The sandbox honours `Idempotency-Key`, so a retry after a timeout re-sends the same key and gets
the first result back: transient failures are retried in here with the same key, never a new one.
A sandbox run with `honour_idempotency=False` stands for a supplier without keys: its adapter
(`honours_idempotency_key=False`) looks the order up by our reference before every re-send.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import httpx

from connectors.http import (
    ConnectorError,
    MalformedResponse,
    RemoteRejected,
    RetryPolicy,
    build_client,
    excerpt,
    log_request,
    raise_for_status,
    request_id_of,
    send,
)
from hub.ports import (
    StockLevel,
    SupplierOrderRequest,
    SupplierOrderState,
    SupplierOrderStatus,
    SupplierShipment,
)

logger = logging.getLogger(__name__)

_STATES = {"accepted": SupplierOrderState.ACCEPTED, "shipped": SupplierOrderState.SHIPPED,
           "delivered": SupplierOrderState.DELIVERED, "cancelled": SupplierOrderState.CANCELLED,
           "failed": SupplierOrderState.FAILED}


class SandboxSupplier:
    """A client of one sandbox supplier (`base_url`); `transport` routes it in-process."""

    def __init__(self, base_url: str, api_key: str | None = None, transport: httpx.BaseTransport | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 10.0, honours_idempotency_key: bool = True) -> None:
        self.honours_idempotency_key = honours_idempotency_key
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = build_client(base_url=base_url.rstrip("/"), transport=transport, headers=headers,
                                    timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
        self._retry = retry or RetryPolicy()
        self.base_url = base_url
        # The metrics' name for this supplier: the last part of its URL (the supplier's code).
        self._remote = "sandbox:" + (httpx.URL(base_url).path.rstrip("/").rsplit("/", 1)[-1] or "root")

    def __repr__(self) -> str:
        return f"SandboxSupplier({self.base_url!r})"

    def place_order(self, request: SupplierOrderRequest) -> SupplierOrderStatus:
        body = {
            "reference": request.reference,
            "currency": request.currency,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in request.lines],
            "ship_to": _address(request),
            "email": request.email,
            "note": request.note,
            "shipping_method": request.shipping_method,
        }
        headers = {"Idempotency-Key": request.idempotency_key}
        failed_before = False

        def attempt() -> httpx.Response | SupplierOrderStatus:
            nonlocal failed_before
            if failed_before and not self.honours_idempotency_key:  # the last try may have got through
                found = self._find(request.reference)
                if found is not None:
                    return found
            try:
                return self._call("POST", "/orders", json_body=body, headers=headers, accept=(409,))
            except ConnectorError:
                failed_before = True
                raise

        response = self._retry.call(attempt)
        if isinstance(response, SupplierOrderStatus):
            return response
        if response.status_code == 409:
            # Our reference is unique, so an order under it is ours (placed under an earlier key).
            logger.warning("sandbox supplier already has %s under another key; adopting it", request.reference)
            existing = self.get_order(request.reference)
            if existing is None:
                raise MalformedResponse(f"409 for {request.reference} but the order cannot be found")
            return existing
        return status_from_json(_decode(response))

    def get_order(self, reference: str, remote_id: str | None = None) -> SupplierOrderStatus | None:
        return self._retry.call(lambda: self._find(reference))

    def _find(self, reference: str) -> SupplierOrderStatus | None:
        response = self._call("GET", "/orders/" + _quote(reference), accept=(404,))
        if response.status_code == 404:
            return None
        return status_from_json(_decode(response))

    def cancel_order(self, reference: str, remote_id: str | None = None) -> bool:
        path = "/orders/" + _quote(reference) + "/cancel"
        response = self._retry.call(lambda: self._call("POST", path, accept=(409,)))
        return response.status_code != 409

    def stock(self, skus: Sequence[str]) -> list[StockLevel]:
        levels: list[StockLevel] = []
        for start in range(0, len(skus), 100):
            params = {"skus": ",".join(skus[start:start + 100])}
            response = self._retry.call(lambda: self._call("GET", "/stock", params=params))  # noqa: B023
            payload = _decode(response)
            try:
                levels += [StockLevel(str(row["sku"]), int(row["quantity"])) for row in payload["stock"]]
            except (KeyError, TypeError, ValueError) as exc:
                raise MalformedResponse(f"stock answer lacks sku/quantity: {excerpt(response.text)}") from exc
        return levels

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, json_body: Any = None, headers: dict[str, str] | None = None,
              params: dict[str, str] | None = None, accept: tuple[int, ...] = ()) -> httpx.Response:
        request = self._client.build_request(method, path, json=json_body, headers=headers, params=params)
        started = time.perf_counter()
        try:
            response = send(self._client, request)
        except Exception as exc:
            log_request(request, type(exc).__name__, started, kind="supplier", remote=self._remote)
            raise
        log_request(request, response.status_code, started, kind="supplier", remote=self._remote)
        if response.status_code in accept:
            return response
        if response.status_code == 422:
            raise_rejection(response)
        raise_for_status(response)
        return response


def raise_rejection(response: httpx.Response) -> None:
    """422 with the supplier's reason as the excerpt: the core records it on the failed order."""
    try:
        reason = str(json.loads(response.text).get("error") or response.text)
    except (ValueError, AttributeError):
        reason = response.text
    raise RemoteRejected(response.status_code, request_id_of(response), excerpt(reason))


def _quote(reference: str) -> str:
    return quote(reference, safe="")


def _address(request: SupplierOrderRequest) -> dict[str, str | None]:
    a = request.ship_to
    return {"name": a.name, "company": a.company, "address1": a.address1, "address2": a.address2,
            "city": a.city, "province_code": a.province_code, "zip": a.zip, "country_code": a.country_code,
            "phone": a.phone or request.phone}


def _decode(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise MalformedResponse(f"not JSON: {excerpt(response.text)}") from exc


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise MalformedResponse(f"not an amount: {value!r}") from exc


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def status_from_json(payload: Any) -> SupplierOrderStatus:
    """The port's status from the sandbox's order JSON; MalformedResponse when it is not one."""
    try:
        state = _STATES[payload["state"]]
        shipments = tuple(
            SupplierShipment(
                tracking_number=str(s["tracking_number"]),
                carrier=s.get("carrier"),
                tracking_url=s.get("tracking_url"),
                lines=tuple((str(x["sku"]), int(x["quantity"])) for x in s.get("lines", [])),
                shipped_at=_when(s.get("shipped_at")),
            )
            for s in payload.get("shipments", [])
        )
        return SupplierOrderStatus(
            reference=str(payload["reference"]),
            remote_id=str(payload["id"]),
            state=state,
            product_cost=_money(payload.get("product_cost")),
            shipping_cost=_money(payload.get("shipping_cost")),
            currency=payload.get("currency"),
            shipments=shipments,
            message=payload.get("message"),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MalformedResponse(f"not a sandbox order: {excerpt(json.dumps(payload, default=str))}") from exc
