"""/api/v1/orders: manual orders in, every order out with its lines and timeline."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import HubDep, require_admin
from hub.api.errors import ApiError
from hub.db.base import utcnow
from hub.domain.manual_orders import ManualLine, ManualOrderError, build_manual_order
from hub.services import orders as order_service

router = APIRouter(prefix="/api/v1/orders", tags=["orders"], dependencies=[Depends(require_admin)])


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    company: str | None = None
    address1: str
    address2: str | None = None
    city: str
    province_code: str | None = None
    zip: str | None = None
    country_code: str = Field(min_length=2, max_length=2)
    phone: str | None = None


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=255)
    title: str | None = None
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0)


class ManualOrderIn(BaseModel):
    """A manual order; `reference` is its unique key: posting it again changes nothing."""

    model_config = ConfigDict(extra="forbid")
    reference: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    email: str | None = None
    shipping_address: AddressIn
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    shipping: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    paid: bool = True


@router.post("", status_code=201)
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


@router.get("")
def list_orders(
    hub: HubDep,
    status: str | None = None,
    store: Annotated[int | None, Query(description="store id")] = None,
    q: Annotated[str | None, Query(description="name, e-mail or external id")] = None,
    limit: Annotated[int, Query(ge=1, le=order_service.MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    page, next_cursor = order_service.list_orders(hub.db, status=status, store_id=store, q=q, limit=limit,
                                                  cursor=cursor)
    return {"orders": page, "next_cursor": next_cursor}


@router.get("/{order_id}")
def get_order(order_id: int, hub: HubDep) -> dict[str, Any]:
    return order_service.get_order(hub.db, order_id, hub.settings.reporting_currency)
