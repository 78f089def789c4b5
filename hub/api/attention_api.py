"""/api/v1/attention/{id}/actions/{action} and …/offers (admin token): the page's actions for scripts.

The same service function and checks as the /attention page: a refused action is a 422 with the
sentence the page shows beside the field, an item already closed a 409, an unknown one a 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.api.params import Id, Text
from hub.domain.attention_actions import Action
from hub.services import attention_actions, attention_view

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_admin)], responses=responses(401, 422))


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offer: Text = Field("", max_length=400, description="an offer id or SUPPLIER_CODE:SUPPLIER_SKU (map, route_to)")
    reason: Text = Field("", max_length=500, description="why: required to dismiss, kept on the order's timeline")


@router.post("/attention/{item_id}/actions/{action}", tags=["attention"], responses=responses(404, 409))
def act(item_id: Id, action: Annotated[Action, PathParam(description="what to do")], hub: HubDep,
        body: ActionIn | None = None) -> dict[str, Any]:
    """Act on an attention item: map (no mapping), route_to (another offer), place_once (over the
    cost rules), retry (the supplier that refused), approve or reject (a price), contacted (a late supplier;
    snoozes the item), cancel_reroute (a late supplier order), dismiss (with a reason). The order
    moves on at once; `closed` says whether the item's cause is gone."""
    body = body or ActionIn()
    return attention_actions.act(hub, item_id, action.value, offer=body.offer, reason=body.reason,
                                 actor="the admin via the API").as_dict()


@router.get("/attention/{item_id}/offers", tags=["attention"], responses=responses(404))
def offers(item_id: Id, hub: HubDep) -> dict[str, Any]:
    """The offers the item's line(s) could be routed to, usable ones first (stock, countries, cost)."""
    return {"offers": [choice.as_dict() for choice in attention_view.offers_for(hub, item_id)]}
