"""/api/v1/webhooks: see stored webhook deliveries by status, and retry a stuck one (admin token)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from hub.api.deps import HubDep, require_admin
from hub.domain.limits import BIGINT_MAX
from hub.services import webhook_admin

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], dependencies=[Depends(require_admin)])

Status = Literal["received", "processing", "processed", "error"]
DeliveryId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="webhook delivery id")]


@router.get("")
def list_deliveries(
    hub: HubDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=webhook_admin.MAX_LIST)] = 50,
) -> dict[str, Any]:
    """Newest deliveries first; `?status=error` lists those that could not be processed, with the reason."""
    rows = webhook_admin.list_deliveries(hub.db, status=status, limit=limit)
    return {"deliveries": [row.as_json() for row in rows]}


@router.get("/{delivery_id}", responses={404: {"description": "no such delivery"}})
def get_delivery(delivery_id: DeliveryId, hub: HubDep) -> dict[str, Any]:
    return webhook_admin.get_delivery(hub.db, delivery_id).as_json()


@router.post("/{delivery_id}/retry", responses={404: {"description": "no such delivery"},
                                                409: {"description": "already processed, or at work"}})
def retry_delivery(delivery_id: DeliveryId, hub: HubDep) -> dict[str, Any]:
    """Process a delivery in `error` (or waiting for its next attempt) again, now; answers its new state."""
    return webhook_admin.retry(hub, delivery_id).as_json()
