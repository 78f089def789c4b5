"""/api/v1/stores: connect, list and remove stores (admin token)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from hub.api.deps import HubDep, require_admin
from hub.services import stores

router = APIRouter(prefix="/api/v1/stores", tags=["stores"], dependencies=[Depends(require_admin)])


class StoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: Literal["shopify"] = "shopify"
    shop: str = Field(description="NAME.myshopify.com")
    token: SecretStr
    webhook_secret: SecretStr | None = None
    api_version: str | None = None
    verify: bool = True
    currency: str | None = None


@router.get("")
def list_stores(hub: HubDep) -> dict[str, Any]:
    return {"stores": stores.list_stores(hub.db)}


@router.post("", status_code=201)
def add_store(body: StoreIn, hub: HubDep) -> dict[str, Any]:
    return stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=body.shop, token=body.token.get_secret_value(),
        webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
        api_version=body.api_version, verify=body.verify, currency=body.currency))


@router.delete("/{store_id}")
def remove_store(store_id: int, hub: HubDep) -> dict[str, Any]:
    return {"id": store_id, "outcome": stores.remove_store(hub.db, store_id)}
