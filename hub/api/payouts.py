"""/api/v1/payouts: each payout's expected against received, the difference explained, and the
paid orders no payout has brought in yet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hub.api.deps import HubDep, require_admin
from hub.api.errors import responses
from hub.api.params import Id, IdFilter
from hub.services import payouts as payout_service

router = APIRouter(prefix="/api/v1/payouts", tags=["money"], dependencies=[Depends(require_admin)],
                   responses=responses(401, 422))
WaitDays = Annotated[int, Query(ge=0, le=3650, description="days after an order was placed before its missing "
                                                          "payout counts as expected but not received")]


@router.get("")
def list_payouts(
    hub: HubDep,
    store: Annotated[IdFilter, Query(description="store id")] = None,
    limit: Annotated[int, Query(ge=1, le=payout_service.MAX_PAGE)] = 50,
    wait_days: WaitDays = payout_service.DEFAULT_WAIT_DAYS,
) -> dict[str, Any]:
    """Newest payouts first: expected (from the orders' ledger facts, net of recorded fees and refunds),
    received (the payout's net), difference and its causes in words; then paid orders with no payout."""
    views = payout_service.list_payouts(hub.db, store_id=store, limit=limit)
    unpaid = payout_service.unpaid_orders(hub.db, wait_days=wait_days, store_id=store)
    return {"payouts": [v.as_dict() for v in views], "expected_not_received": [u.as_dict() for u in unpaid]}


@router.get("/{payout_id}", responses=responses(404))
def get_payout(payout_id: Id, hub: HubDep) -> dict[str, Any]:
    """One payout with each cause of its difference (linked to its order) and its orders' parts."""
    return payout_service.get_payout(hub.db, payout_id).as_dict(detail=True)
