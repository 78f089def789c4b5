"""Admin API of suppliers, their keys and their feed runs (admin token, like all of /api/v1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.api.params import CURRENCY, SUPPLIER_CODE, Id, SupplierCode, Text
from hub.db.base import utcnow
from hub.domain.catalogue import MAX_QUANTITY
from hub.services import feed_runs, feeds, scorecards, suppliers
from hub.services.suppliers import KeyView, SupplierView

router = APIRouter(prefix="/api/v1/suppliers", tags=["suppliers"], dependencies=[Depends(require_admin)],
                   responses=responses(401, 422))
StockQuantity = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]


class SupplierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=SUPPLIER_CODE, description="2-64 characters of a-z, 0-9, '-', '_'")
    name: Text = Field(min_length=1, max_length=255)
    currency: str = Field(pattern=CURRENCY, description="ISO 4217 code, e.g. USD")
    kind: Literal[suppliers.KINDS] = "feed"  # type: ignore[valid-type]
    feed_url: Text | None = Field(default=None, max_length=2000)
    mapping: dict[Annotated[str, Field(max_length=64)], Annotated[Text, Field(max_length=255)]] | None = Field(
        default=None, description='feed field → column, e.g. {"sku": "Item"}')
    default_quantity: StockQuantity | None = Field(default=None,
                                                   description="stock of an in_stock row without quantity")
    backorder_quantity: StockQuantity | None = Field(default=None, description="stock of a preorder/backorder row")


class SupplierOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    currency: str
    feed_url: str | None
    mapping: dict[str, str]
    default_quantity: int | None
    backorder_quantity: int | None
    active: bool
    created_at: datetime


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Text | None = Field(default=None, max_length=255)


class KeyOut(BaseModel):
    id: int
    supplier_code: str
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: list[str] = Field(default_factory=list, description='what the key may do, e.g. ["feed"]')


class NewKeyOut(KeyOut):
    key: str = Field(description="the key itself: shown this once, only its hash is kept")


def _supplier(view: SupplierView) -> SupplierOut:
    return SupplierOut(**view.__dict__)


def _key(view: KeyView) -> KeyOut:
    return KeyOut(**view.__dict__)


@router.get("")
def list_suppliers(hub: HubDep) -> list[SupplierOut]:
    return [_supplier(s) for s in suppliers.list_suppliers(hub.db)]


@router.post("", status_code=201, responses=responses(409, 413, 415))
def create_supplier(body: SupplierIn, hub: HubDep) -> SupplierOut:
    return _supplier(suppliers.add_supplier(
        hub.db, body.code, body.name, body.currency, kind=body.kind, feed_url=body.feed_url,
        mapping=suppliers.validate_mapping(body.mapping or {}), default_quantity=body.default_quantity,
        backorder_quantity=body.backorder_quantity, guard=suppliers.url_guard(hub)))


@router.get("/{code}", responses=responses(404))
def get_supplier(code: SupplierCode, hub: HubDep) -> SupplierOut:
    return _supplier(suppliers.get_supplier(hub.db, code))


@router.get("/{code}/scorecard", responses=responses(404))
def get_scorecard(code: SupplierCode, hub: HubDep,
                  days: Annotated[int, Query(ge=1, le=366, description="the period: the last N days")] = 30,
                  ) -> dict[str, Any]:
    """The supplier's scorecard over the last `days` days (the figures of /suppliers; definitions in
    hub/services/scorecards.py): ratios 0–1 and hours as strings, goods cost per currency."""
    supplier = suppliers.get_supplier(hub.db, code)
    until = utcnow()
    with hub.db.read() as session:
        (card,) = scorecards.scorecards(session, until - timedelta(days=days), until, supplier.id, now=until)
    return {"since": (until - timedelta(days=days)).isoformat(), "until": until.isoformat(), **card.view()}


@router.post("/{code}/keys", status_code=201, responses=responses(404, 413, 415))
def create_key(code: SupplierCode, hub: HubDep, body: KeyIn | None = None) -> NewKeyOut:
    view, key = suppliers.create_key(hub.db, code, body.label if body else None)
    return NewKeyOut(**view.__dict__, key=key)


@router.get("/{code}/keys", responses=responses(404))
def list_keys(code: SupplierCode, hub: HubDep) -> list[KeyOut]:
    return [_key(k) for k in suppliers.list_keys(hub.db, code)]


@router.delete("/{code}/keys/{key_id}", responses=responses(404))
def revoke_key(code: SupplierCode, key_id: Id, hub: HubDep) -> KeyOut:
    return _key(suppliers.revoke_key(hub.db, key_id, code=code))


@router.get("/{code}/feed-runs", responses=responses(404))
def list_feed_runs(code: SupplierCode, hub: HubDep,
                   limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[dict[str, Any]]:
    return [run.as_dict() for run in feed_runs.list_runs(hub.db, code, limit)]


@router.post("/{code}/feed-runs/{run_id}/confirm", responses=responses(404, 409))
def confirm_feed_run(code: SupplierCode, run_id: Id, hub: HubDep) -> JSONResponse:
    """Apply a run held as suspect by the truncation guard."""
    return JSONResponse(feeds.confirm_run(hub, run_id, code=code).as_dict())


@router.post("/{code}/feed-runs/{run_id}/discard", responses=responses(404, 409))
def discard_feed_run(code: SupplierCode, run_id: Id, hub: HubDep) -> JSONResponse:
    return JSONResponse(feeds.discard_run(hub, run_id, code=code).as_dict())
