"""/api/v1/profit and /api/v1/reconciliation/anomalies: what the merchant earned, and what disagrees."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hub.api.deps import HubDep, require_admin
from hub.api.errors import ApiError, responses
from hub.api.params import CURRENCY, DAY, IdFilter
from hub.errors import UserError
from hub.services import anomalies
from hub.services import profit as profit_service

router = APIRouter(prefix="/api/v1", tags=["money"], dependencies=[Depends(require_admin)],
                   responses=responses(401, 422))
GroupBy = StrEnum("GroupBy", {group: group for group in profit_service.GROUPS})  # type: ignore[misc]
AnomalyKind = StrEnum("AnomalyKind", {kind: kind for kind in anomalies.KINDS})  # type: ignore[misc]


@router.get("/profit")
def profit(
    hub: HubDep,
    date_from: Annotated[str | None, Query(alias="from", pattern=DAY, description="first day, YYYY-MM-DD (UTC)")
                         ] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DAY,
                                         description="last day, YYYY-MM-DD (UTC), inclusive")] = None,
    group_by: Annotated[GroupBy, Query(description="how rows are grouped")] = GroupBy("day"),
    currency: Annotated[str | None, Query(pattern=CURRENCY,
                                          description="ISO code; default the reporting currency")] = None,
    store: Annotated[IdFilter, Query(description="store id")] = None,
) -> dict[str, Any]:
    """Rows {key, label, ref, revenue, refunds, fees, supplier_cost, shipping_cost, fx, profit, margin,
    incomplete, estimated} as decimal strings; keys are SKU, supplier code, store and order name;
    `incomplete` rows (lines not routed or no supplier cost yet) have no margin; a row whose facts
    had no FX rate for their day says so in fx_missing. Every grouping adds up to the same total."""
    try:
        rows = profit_service.profit(hub.db, date_from, date_to, group_by.value, currency,
                                     hub.settings.reporting_currency, store_id=store)
    except UserError as exc:
        raise ApiError(422, str(exc), "invalid") from exc
    return {"group_by": group_by.value, "currency": (currency or hub.settings.reporting_currency).upper(), "rows": rows}


@router.get("/reconciliation/anomalies")
def list_anomalies(
    hub: HubDep,
    kind: Annotated[AnomalyKind | None, Query(description="only anomalies of this kind")] = None,
) -> dict[str, Any]:
    """Every money anomaly found now; each is also put on the attention list."""
    found = anomalies.reconcile(hub.db, tolerance_pct=hub.settings.supplier_cost_tolerance_pct,
                                grace=timedelta(minutes=hub.settings.unsent_order_grace_minutes),
                                reporting_currency=hub.settings.reporting_currency,
                                kind=kind.value if kind else None)
    return {"anomalies": found}
