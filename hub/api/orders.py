"""/api/v1/orders: manual orders in, every order out with its lines and timeline."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.deps import HubDep, require_admin
from hub.api.errors import ApiError, responses
from hub.api.params import COUNTRY, CURRENCY, MONEY_MAX, Amount, Id, IdFilter, Quantity, Text, TextFilter
from hub.db.base import utcnow
from hub.domain.lifecycle import Lifecycle
from hub.domain.manual_orders import ManualLine, ManualOrderError, build_manual_order
from hub.domain.orders import ORDER_STATUSES
from hub.services import orders as order_service

router = APIRouter(prefix="/api/v1/orders", tags=["orders"], dependencies=[Depends(require_admin)],
                   responses=responses(401, 422))

OrderStatus = StrEnum("OrderStatus", {status: status for status in ORDER_STATUSES})  # type: ignore[misc]


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text | None = Field(default=None, max_length=255)
    company: Text | None = Field(default=None, max_length=255)
    address1: Text = Field(max_length=255)
    address2: Text | None = Field(default=None, max_length=255)
    city: Text = Field(max_length=255)
    province_code: Text | None = Field(default=None, max_length=255)
    zip: Text | None = Field(default=None, max_length=255)
    country_code: str = Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2, e.g. US")
    phone: Text | None = Field(default=None, max_length=255)


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Text = Field(min_length=1, max_length=255)
    title: Text | None = Field(default=None, max_length=1000)
    quantity: Quantity
    unit_price: Amount


class ManualOrderIn(BaseModel):
    """A manual order; `reference` is its unique key: posting it again changes nothing."""

    model_config = ConfigDict(extra="forbid")
    reference: Text = Field(min_length=1, max_length=64)
    currency: str = Field(pattern=CURRENCY, description="ISO 4217 code, e.g. USD")
    email: Text | None = Field(default=None, max_length=320)
    shipping_address: AddressIn
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    shipping: Amount = Decimal(0)
    discount: Amount = Decimal(0)
    paid: bool = True

    @model_validator(mode="after")
    def _fits(self) -> ManualOrderIn:
        """The order's total must fit a money column, whatever each amount is alone."""
        total = sum((line.unit_price * line.quantity for line in self.lines), Decimal(0)) + self.shipping
        if total > MONEY_MAX:
            raise ValueError(f"the order's total is above the largest amount the hub stores ({MONEY_MAX})")
        return self


@router.post("", status_code=201, responses={200: {"description": "already created: the order as it is"},
                                              **responses(413, 415)})
def create_order(body: ManualOrderIn, hub: HubDep, response: Response) -> dict[str, Any]:
    try:
        order = build_manual_order(
            body.reference, body.currency,
            [ManualLine(line.sku, line.quantity, line.unit_price, line.title) for line in body.lines],
            body.shipping_address.model_dump(), now=utcnow(), email=body.email, shipping=body.shipping,
            discount=body.discount, paid=body.paid)
    except ManualOrderError as exc:
        raise ApiError(422, str(exc), "invalid") from exc
    order_id, created = order_service.create_manual_order(hub.db, order, hub.settings.reporting_currency)
    if not created:
        response.status_code = 200
    return order_service.get_order(hub.db, order_id, hub.settings.reporting_currency)


@router.get("", responses=responses(400))
def list_orders(
    hub: HubDep,
    status: Annotated[OrderStatus | None, Query(description="the hub's status of the order")] = None,
    lifecycle: Annotated[Lifecycle | None, Query(
        description="the order's lifecycle: received, needs_attention, routed, placed, partially_shipped, "
                    "shipped, fulfilled, partially_refunded, refunded or cancelled")] = None,
    store: Annotated[IdFilter, Query(description="store id")] = None,
    q: Annotated[TextFilter, Query(description="name, e-mail or external id")] = None,
    limit: Annotated[int, Query(ge=1, le=order_service.MAX_PAGE)] = 50,
    cursor: Annotated[TextFilter, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    page, next_cursor = order_service.list_orders(hub.db, status=status.value if status else None, store_id=store,
                                                  q=q, limit=limit, cursor=cursor,
                                                  lifecycle=lifecycle.value if lifecycle else None)
    return {"orders": page, "next_cursor": next_cursor}


@router.get("/{order_id}", responses=responses(404))
def get_order(order_id: Id, hub: HubDep) -> dict[str, Any]:
    return order_service.get_order(hub.db, order_id, hub.settings.reporting_currency)
