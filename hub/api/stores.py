"""/api/v1/stores: connect, list and remove stores, and set their rules (admin token)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StrictBool, StrictInt, WithJsonSchema

from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.api.params import CURRENCY, SHOP_DOMAIN, Id, Text
from hub.services import store_settings, stores

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


class RoutingIn(BaseModel):
    """Omitted keys keep their value; null for an amount removes the limit."""

    model_config = ConfigDict(extra="forbid")
    strategy: Literal["priority", "landed_cost"] | None = None
    max_unit_cost: str | None = Field(default=None, description="landed cost per sold unit, store currency")
    margin_guard: StrictBool | None = None
    consolidate_max_extra: str | None = Field(default=None, description="keep one supplier when it costs "
                                              "at most this much more")
    prefer_scorecard: StrictBool | None = Field(default=None, description="on a cost tie, the better scorecard")


class PricingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    markup_percent: str | None = Field(default=None, description='e.g. "100": price = landed cost × 2')
    rounding: Literal[".99", ".95", "whole", "none"] | None = None
    min_margin_percent: str | None = Field(default=None, description="under 100")
    tolerance_percent: str | None = Field(default=None, description="a bigger move waits for approval")


class StoreSettingsIn(BaseModel):
    """Each part optional; `"pricing": null` stops the hub setting this store's prices."""

    model_config = ConfigDict(extra="forbid")
    routing: RoutingIn | None = None
    pricing: PricingIn | None = None
    stock_cover_days: StrictInt | None = Field(default=None, ge=1, le=store_settings.MAX_COVER_DAYS)


@router.get("/{store_id}/settings", responses=responses(404))
def get_settings(store_id: Id, hub: HubDep) -> dict[str, Any]:
    return store_settings.current(hub.db, store_id).as_dict()


@router.put("/{store_id}/settings", responses=responses(404))
def put_settings(store_id: Id, body: StoreSettingsIn, hub: HubDep) -> dict[str, Any]:
    given = body.model_fields_set
    routing = body.routing.model_dump(exclude_unset=True) if body.routing is not None else None
    pricing = body.pricing.model_dump(exclude_unset=True) if body.pricing is not None else None
    if routing is not None:  # null removes a limit; for a choice or a flag it means "leave as is"
        routing = {k: v for k, v in routing.items() if v is not None or k.endswith(("_cost", "_extra"))}
    return store_settings.save(hub.db, store_id, routing=routing, pricing=pricing,
                               pricing_off="pricing" in given and body.pricing is None,
                               stock_cover_days=body.stock_cover_days).as_dict()


@router.post("", status_code=201, responses=responses(409, 413, 415))
def add_store(body: StoreIn, hub: HubDep) -> dict[str, Any]:
    return stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=body.shop, token=body.token.get_secret_value(),
        webhook_secret=body.webhook_secret.get_secret_value() if body.webhook_secret else None,
        api_version=body.api_version, verify=body.verify, currency=body.currency))


@router.delete("/{store_id}", responses=responses(404))
def remove_store(store_id: Id, hub: HubDep) -> dict[str, Any]:
    return {"id": store_id, "outcome": stores.remove_store(hub.db, store_id)}
