"""Pure translations between the port's types and CJ's JSON (numbers may arrive as strings)."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.http import MalformedResponse
from hub.ports import SupplierOrderRequest, SupplierOrderState, SupplierOrderStatus, SupplierShipment

logger = logging.getLogger(__name__)

# CJ order statuses (shopping/order/list and getOrderDetail): everything before SHIPPED means CJ
# holds the order, paid or not.
STATES = {
    "CREATED": SupplierOrderState.ACCEPTED,
    "IN_CART": SupplierOrderState.ACCEPTED,
    "UNPAID": SupplierOrderState.ACCEPTED,
    "UNSHIPPED": SupplierOrderState.ACCEPTED,
    "SHIPPED": SupplierOrderState.SHIPPED,
    "DELIVERED": SupplierOrderState.DELIVERED,
    "CANCELLED": SupplierOrderState.CANCELLED,
    "CANCELED": SupplierOrderState.CANCELLED,
}

# payType of createOrderV2: 1 page payment (a cjPayUrl comes back), 2 pay from the CJ balance,
# 3 create only (no cart, no confirmation, no payment).
DEFAULT_PAY_TYPE = 2


def order_body(request: SupplierOrderRequest, *, logistic_name: str | None, from_country_code: str,
               pay_type: int = DEFAULT_PAY_TYPE, platform: str | None = None) -> dict[str, Any]:
    """createOrderV2's body: our reference as `orderNumber`, lines as `vid` + quantity."""
    to = request.ship_to
    body: dict[str, Any] = {
        "orderNumber": request.reference,
        "shippingCountryCode": to.country_code or "",
        "shippingCountry": to.country_code or "",
        "shippingProvince": to.province_code or "",
        "shippingCity": to.city or "",
        "shippingAddress": to.address1 or "",
        "shippingAddress2": to.address2 or "",
        "shippingCustomerName": to.name or "",
        "shippingZip": to.zip or "",
        "shippingPhone": to.phone or request.phone or "",
        "email": request.email or "",
        "remark": (request.note or "")[:500],
        "fromCountryCode": from_country_code,
        "payType": pay_type,
        "products": [{"vid": line.sku, "quantity": line.quantity} for line in request.lines],
    }
    method = request.shipping_method or logistic_name
    if method:
        body["logisticName"] = method
    if platform:
        body["platform"] = platform
    return body


def amount(value: Any, field: str) -> Decimal | None:
    """A money amount from a JSON number (already Decimal) or a string; None when absent or ''."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise MalformedResponse(f"CJ {field} is not an amount: {value!r}")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise MalformedResponse(f"CJ {field} is not an amount: {value!r}") from exc
    if not result.is_finite():
        raise MalformedResponse(f"CJ {field} is not an amount: {value!r}")
    return result


def whole(value: Any, field: str) -> int:
    number = amount(value, field)
    return int(number) if number is not None else 0


def status_from_order(data: Any, reference: str | None = None) -> SupplierOrderStatus:
    """The port's status from a CJ order (getOrderDetail, a list entry, or createOrderV2's answer)."""
    if isinstance(data, str | int) and not isinstance(data, bool) and reference:  # old createOrder: the id only
        return SupplierOrderStatus(reference=reference, remote_id=str(data), state=SupplierOrderState.ACCEPTED)
    if not isinstance(data, dict):
        raise MalformedResponse("CJ order is not an object")
    remote_id = data.get("orderId") or data.get("cjOrderId") or data.get("id")
    ours = data.get("orderNum") or data.get("orderNumber") or reference
    if not remote_id or not ours:
        raise MalformedResponse("CJ order lacks orderId or orderNumber")
    raw_status = str(data.get("orderStatus") or "CREATED").upper()
    state = STATES.get(raw_status)
    message = None
    if state is None:
        logger.warning("unknown CJ order status %r; treating the order as accepted", raw_status)
        state, message = SupplierOrderState.ACCEPTED, f"CJ status {raw_status}"
    carrier = data.get("logisticName") or None
    numbers = [n.strip() for n in str(data.get("trackNumber") or "").split(",") if n.strip()]
    shipments = tuple(SupplierShipment(tracking_number=n, carrier=carrier) for n in numbers)
    product = amount(data.get("productAmount"), "productAmount")
    postage = amount(data.get("postageAmount"), "postageAmount")
    total = amount(data.get("orderAmount"), "orderAmount")
    if product is None and total is not None and postage is not None:
        product = total - postage
    return SupplierOrderStatus(
        reference=str(ours),
        remote_id=str(remote_id),
        state=state,
        product_cost=product,
        shipping_cost=postage,
        currency="USD",  # CJ bills in US dollars
        shipments=shipments,
        message=message,
    )
