"""/api/v1/mappings and /api/v1/attention (admin token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.api.params import BodyId, Id, Priority, Quantity, Text, TextFilter
from hub.db.base import utcnow
from hub.db.models import Store
from hub.errors import NotFound
from hub.services import attention, listings, stock_cover, store_sync

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_admin)], responses=responses(401, 422))


class OfferChoice(BaseModel):
    """Which offer a listing maps to, and how: the API's body and the catalogue page's form alike."""

    model_config = ConfigDict(extra="forbid")
    supplier_offer: Text = Field(description="SUPPLIER_CODE:SUPPLIER_SKU", min_length=3, max_length=320)
    priority: Priority | None = None
    quantity: Quantity = 1


class MappingIn(OfferChoice):
    store_sku: Text = Field(min_length=1, max_length=255)
    store_id: BodyId | None = None


@router.get("/mappings", tags=["mappings"])
def list_mappings(hub: HubDep, store_sku: Annotated[TextFilter, Query(max_length=255)] = None) -> dict[str, Any]:
    return {"mappings": listings.list_mappings(hub, store_sku)}


@router.post("/mappings", tags=["mappings"], status_code=201, responses=responses(404, 409, 413, 415))
def add_mapping(body: MappingIn, hub: HubDep) -> dict[str, Any]:
    return listings.add_mapping(hub, body.store_sku, body.supplier_offer, priority=body.priority,
                                quantity=body.quantity, store_id=body.store_id)


@router.delete("/mappings/{mapping_id}", tags=["mappings"], responses=responses(404))
def remove_mapping(mapping_id: Id, hub: HubDep) -> dict[str, Any]:
    listings.remove_mapping(hub, mapping_id)
    return {"id": mapping_id, "removed": True}


@router.get("/attention", tags=["attention"])
def open_attention(hub: HubDep, kind: Annotated[TextFilter, Query(max_length=64)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> dict[str, Any]:
    """What needs a person: unroutable lines, refused supplier orders, late shipments, anomalies."""
    return {"items": attention.open_items(hub.db, kind=kind, limit=limit)}


@router.post("/attention/{item_id}/approve", tags=["attention"], responses=responses(404, 409))
def approve(item_id: Id, hub: HubDep) -> dict[str, Any]:
    """Approve a price move held for being over the tolerance; the next push sends it."""
    store_sync.approve_price(hub, item_id)
    return {"id": item_id, "approved": True}


@router.post("/attention/{item_id}/reject", tags=["attention"], responses=responses(404, 409))
def reject(item_id: Id, hub: HubDep) -> dict[str, Any]:
    """Refuse a price move held for approval: the store keeps its price until the proposal changes."""
    store_sync.reject_price(hub, item_id)
    return {"id": item_id, "rejected": True}


@router.get("/stores/{store_id}/sync-plan", tags=["stores"], responses=responses(404))
def sync_plan(store_id: Id, hub: HubDep) -> dict[str, Any]:
    """What the next push would send (a dry run): changes and calls."""
    return store_sync.plan(hub, store_id).summary()


@router.get("/stores/{store_id}/stock-cover", tags=["stores"], responses=responses(404))
def stock_cover_of(store_id: Id, hub: HubDep, running_out: bool = False) -> dict[str, Any]:
    """Days of cover per mapped listing (the rule: hub/services/stock_cover.py); `running_out` keeps
    the listings under the store's `stock_cover_days`."""
    with hub.db.read() as session:
        if session.get(Store, store_id) is None:
            raise NotFound(f"store {store_id} not found")
        found = stock_cover.cover(session, store_id, utcnow(), only_running_out=running_out)
    return {"store_id": store_id, "listings": [item.view() for item in found]}


@router.post("/attention/{item_id}/resolve", tags=["attention"], responses=responses(404))
def resolve(item_id: Id, hub: HubDep) -> dict[str, Any]:
    attention.resolve(hub.db, item_id)
    return {"id": item_id, "resolved": True}
