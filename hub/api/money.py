"""/api/v1/profit and /api/v1/reconciliation/anomalies: what the merchant earned, and what disagrees."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from hub.api.deps import HubDep, require_admin
from hub.api.errors import ApiError
from hub.errors import UserError
from hub.services import anomalies
from hub.services import profit as profit_service

router = APIRouter(prefix="/api/v1", tags=["money"], dependencies=[Depends(require_admin)])


@router.get("/profit")
def profit(
    hub: HubDep,
    date_from: Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD (UTC)")] = None,
    date_to: Annotated[str | None, Query(alias="to", description="last day, YYYY-MM-DD (UTC), inclusive")] = None,
    group_by: Annotated[str, Query(description="|".join(profit_service.GROUPS))] = "day",
    currency: Annotated[str | None, Query(description="ISO code; default the reporting currency")] = None,
    store: Annotated[int | None, Query(description="store id")] = None,
) -> dict[str, Any]:
    """Rows {key, revenue, refunds, fees, supplier_cost, shipping_cost, fx, profit, margin} as decimal
    strings; a row whose facts had no FX rate for their day says so in fx_missing."""
    try:
        rows = profit_service.profit(hub.db, date_from, date_to, group_by, currency,
                                     hub.settings.reporting_currency, store_id=store)
    except UserError as exc:
        raise ApiError(422, str(exc), "invalid") from exc
    return {"group_by": group_by, "currency": (currency or hub.settings.reporting_currency).upper(), "rows": rows}


@router.get("/reconciliation/anomalies")
def list_anomalies(
    hub: HubDep,
    kind: Annotated[str | None, Query(description="|".join(anomalies.KINDS))] = None,
) -> dict[str, Any]:
    """Every money anomaly found now; each is also put on the attention list."""
    if kind is not None and kind not in anomalies.KINDS:
        raise ApiError(422, f"kind must be one of {', '.join(anomalies.KINDS)}", "invalid")
    found = anomalies.reconcile(hub.db, tolerance_pct=hub.settings.supplier_cost_tolerance_pct,
                                grace=timedelta(minutes=hub.settings.unsent_order_grace_minutes),
                                reporting_currency=hub.settings.reporting_currency, kind=kind)
    return {"anomalies": found}
