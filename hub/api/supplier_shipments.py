"""Suppliers push tracking: POST /api/v1/suppliers/{code}/shipments (supplier key);
purchase orders as CSV for suppliers without an API: GET …/purchase-orders/{batch}.csv."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import HubDep
from hub.api.errors import ApiError, responses
from hub.api.params import Quantity, SupplierCode, Text
from hub.api.supplier_auth import SupplierKeyDep, SupplierOrAdminDep
from hub.services import purchase_orders
from hub.services.shipments import ShipmentIn, WrongSupplier, record_shipment

BATCH = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"  # the batch ids the purchase-order folder writes (no '.')
router = APIRouter(prefix="/api/v1/suppliers", tags=["supplier push"], responses=responses(401, 403, 422))


class ShipmentLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Text = Field(min_length=1, max_length=255)
    quantity: Quantity


class ShipmentBody(BaseModel):
    """A parcel: the whole supplier order, or the `lines` it holds (partial shipment)."""

    model_config = ConfigDict(extra="forbid")
    reference: Text = Field(min_length=1, max_length=64, description="the hub's supplier order reference")
    carrier: Text | None = Field(default=None, max_length=100)
    tracking_number: Text = Field(min_length=1, max_length=100)
    tracking_url: Text | None = Field(default=None, max_length=2000)
    lines: list[ShipmentLine] | None = Field(default=None, max_length=1000)
    shipped_at: datetime | None = None


@router.post("/{code}/shipments", status_code=201, responses={
    200: {"description": "already recorded: nothing changed"}, **responses(404, 409, 413, 415)})
def push_shipment(code: SupplierCode, body: ShipmentBody, hub: HubDep, _owner: SupplierKeyDep,
                  response: Response) -> dict[str, Any]:
    if body.shipped_at is not None and body.shipped_at.tzinfo is None:
        raise ApiError(422, "shipped_at needs a time zone (e.g. 2026-11-22T10:00:00Z)")
    try:
        result = record_shipment(hub, code, ShipmentIn(
            body.reference, body.tracking_number, body.carrier, body.tracking_url,
            tuple((line.sku, line.quantity) for line in body.lines or []), body.shipped_at))
    except WrongSupplier as exc:
        raise ApiError(403, str(exc)) from exc
    if not result.created:
        response.status_code = 200
    return {"shipment_id": result.shipment_id, "created": result.created,
            "supplier_order_state": result.supplier_order_state}


@router.get("/{code}/purchase-orders/{batch_id}.csv", responses={
    200: {"content": {"text/csv": {}}, "description": "the batch as CSV"}, **responses(404)})
def purchase_order_csv(code: SupplierCode, batch_id: Annotated[str, Path(pattern=BATCH, max_length=100)],
                       hub: HubDep, _owner: SupplierOrAdminDep) -> Response:
    content = purchase_orders.read_batch(hub, code, batch_id)
    return Response(content, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{code}-{batch_id}.csv"'})


@router.get("/{code}/purchase-orders", responses=responses(404))
def purchase_order_batches(code: SupplierCode, hub: HubDep, _owner: SupplierOrAdminDep) -> dict[str, Any]:
    return {"batches": purchase_orders.list_batches(hub, code)}
