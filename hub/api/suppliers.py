"""Admin API of suppliers, their keys and their feed runs (admin token, like all of /api/v1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hub.api.deps import HubDep, require_admin
from hub.services import feed_runs, feeds, suppliers
from hub.services.suppliers import KeyView, SupplierView

router = APIRouter(prefix="/api/v1/suppliers", tags=["suppliers"], dependencies=[Depends(require_admin)])


class SupplierIn(BaseModel):
    code: str = Field(description="2-64 characters of a-z, 0-9, '-', '_'")
    name: str
    currency: str = Field(description="ISO 4217 code, e.g. USD")
    kind: str = "feed"
    feed_url: str | None = None
    mapping: dict[str, Any] | None = Field(default=None, description='feed field → column, e.g. {"sku": "Item"}')
    default_quantity: int | None = Field(default=None, description="stock of an in_stock row without quantity")
    backorder_quantity: int | None = Field(default=None, description="stock of a preorder/backorder row")


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
    label: str | None = None


class KeyOut(BaseModel):
    id: int
    supplier_code: str
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewKeyOut(KeyOut):
    key: str = Field(description="the key itself: shown this once, only its hash is kept")


def _supplier(view: SupplierView) -> SupplierOut:
    return SupplierOut(**view.__dict__)


def _key(view: KeyView) -> KeyOut:
    return KeyOut(**view.__dict__)


@router.get("")
def list_suppliers(hub: HubDep) -> list[SupplierOut]:
    return [_supplier(s) for s in suppliers.list_suppliers(hub.db)]


@router.post("", status_code=201)
def create_supplier(body: SupplierIn, hub: HubDep) -> SupplierOut:
    return _supplier(suppliers.add_supplier(
        hub.db, body.code, body.name, body.currency, kind=body.kind, feed_url=body.feed_url,
        mapping=suppliers.validate_mapping(body.mapping or {}), default_quantity=body.default_quantity,
        backorder_quantity=body.backorder_quantity, guard=suppliers.url_guard(hub)))


@router.get("/{code}")
def get_supplier(code: str, hub: HubDep) -> SupplierOut:
    return _supplier(suppliers.get_supplier(hub.db, code))


@router.post("/{code}/keys", status_code=201)
def create_key(code: str, hub: HubDep, body: KeyIn | None = None) -> NewKeyOut:
    view, key = suppliers.create_key(hub.db, code, body.label if body else None)
    return NewKeyOut(**view.__dict__, key=key)


@router.get("/{code}/keys")
def list_keys(code: str, hub: HubDep) -> list[KeyOut]:
    return [_key(k) for k in suppliers.list_keys(hub.db, code)]


@router.delete("/{code}/keys/{key_id}")
def revoke_key(code: str, key_id: int, hub: HubDep) -> KeyOut:
    return _key(suppliers.revoke_key(hub.db, key_id, code=code))


@router.get("/{code}/feed-runs")
def list_feed_runs(code: str, hub: HubDep, limit: int = Query(20, ge=1, le=500)) -> list[dict[str, Any]]:
    return [run.as_dict() for run in feed_runs.list_runs(hub.db, code, limit)]


@router.post("/{code}/feed-runs/{run_id}/confirm")
def confirm_feed_run(code: str, run_id: int, hub: HubDep) -> JSONResponse:
    """Apply a run held as suspect by the truncation guard."""
    return JSONResponse(feeds.confirm_run(hub, run_id, code=code).as_dict())


@router.post("/{code}/feed-runs/{run_id}/discard")
def discard_feed_run(code: str, run_id: int, hub: HubDep) -> JSONResponse:
    return JSONResponse(feeds.discard_run(hub, run_id, code=code).as_dict())
