"""/api/v1/stores: connect, list and remove stores (admin token)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, WithJsonSchema

from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.api.params import CURRENCY, SHOP_DOMAIN, Id, Text
from hub.services import stores

router = APIRouter(prefix="/api/v1/stores", tags=["stores"], dependencies=[Depends(require_admin)],
                   responses=responses(401, 422))
HEADER_SAFE = r"^[!-~]{1,1000}$"  # sent in an HTTP header: printable ASCII, no spaces


def _header_safe(value: SecretStr) -> SecretStr:
    if not re.fullmatch(HEADER_SAFE, value.get_secret_value()):
        raise ValueError("must be 1 to 1000 printable ASCII characters without spaces")
    return value


Secret = Annotated[SecretStr, AfterValidator(_header_safe), WithJsonSchema(
    {"type": "string", "format": "password", "writeOnly": True, "pattern": HEADER_SAFE})]


class StoreIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: Literal["shopify"] = "shopify"
    shop: str = Field(description="NAME.myshopify.com", max_length=255, pattern=SHOP_DOMAIN)
    token: Secret
    webhook_secret: Secret | None = None
    api_version: Text | None = Field(default=None, max_length=20, description="e.g. 2026-10")
    verify: bool = True
    currency: str | None = Field(default=None, pattern=CURRENCY, description="ISO 4217 code")


@router.get("")
def list_stores(hub: HubDep) -> dict[str, Any]:
    return {"stores": stores.list_stores(hub.db)}


@router.post("", status_code=201, responses=responses(409, 413, 415))
def add_store(body: StoreIn, hub: HubDep) -> dict[str, Any]:
    return stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=body.shop, token=body.token.get_secret_value(),
        webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
        api_version=body.api_version, verify=body.verify, currency=body.currency))


@router.delete("/{store_id}", responses=responses(404))
def remove_store(store_id: Id, hub: HubDep) -> dict[str, Any]:
    return {"id": store_id, "outcome": stores.remove_store(hub.db, store_id)}
