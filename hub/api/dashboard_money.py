"""Dashboard pages for money that must agree: /payouts (+ one payout) and /anomalies, in words.
They read the same service functions as /api/v1/payouts and /api/v1/reconciliation/anomalies."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.api import session
from hub.api.dashboard import _page
from hub.api.deps import HubDep
from hub.api.params import MAX_ID
from hub.errors import UserError
from hub.services import anomalies
from hub.services import payouts as payout_service

router = APIRouter(include_in_schema=False)

KIND_WORDS = {
    "unsent_paid_order": "Paid, not sent", "charged_for_cancelled_order": "Charged for a cancelled order",
    "supplier_charged_twice": "Charged twice", "supplier_charge_mismatch": "Charge not as expected",
    "payout_mismatch": "Payout does not add up", "negative_margin": "Loses money",
    "fx_rate_missing": "Exchange rate missing",
}


def _sign_in(request: Request) -> Response | None:
    """Pages that compute (and publish attention items) do so only for a signed-in person."""
    if session.signed_in(request):
        return None
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/payouts", response_class=HTMLResponse)
def payouts(request: Request, hub: HubDep) -> Response:
    if (redirect := _sign_in(request)) is not None:
        return redirect
    views = payout_service.list_payouts(hub.db, limit=100)
    unpaid = payout_service.unpaid_orders(hub.db)
    return _page(request, "payouts.html", payouts=[v.as_dict() for v in views], unpaid=[u.as_dict() for u in unpaid],
                 wait_days=payout_service.DEFAULT_WAIT_DAYS)


@router.get("/payouts/{payout_id}", response_class=HTMLResponse)
def payout(request: Request, hub: HubDep, payout_id: str) -> Response:
    if (redirect := _sign_in(request)) is not None:
        return redirect
    number = int(payout_id) if payout_id.isascii() and payout_id.isdigit() and 0 < int(payout_id) <= MAX_ID else None
    try:
        if number is None:
            raise UserError(f"payout {payout_id} not found")
        view = payout_service.get_payout(hub.db, number).as_dict(detail=True)
    except UserError:
        return _page(request, "missing.html", status_code=404, what=f"payout {payout_id[:40]}")
    return _page(request, "payout.html", payout=view)


@router.get("/anomalies", response_class=HTMLResponse)
def anomaly_list(request: Request, hub: HubDep) -> Response:
    if (redirect := _sign_in(request)) is not None:
        return redirect
    found = anomalies.reconcile(hub.db, tolerance_pct=hub.settings.supplier_cost_tolerance_pct,
                                grace=timedelta(minutes=hub.settings.unsent_order_grace_minutes),
                                reporting_currency=hub.settings.reporting_currency)
    return _page(request, "anomalies.html", anomalies=found, kinds=KIND_WORDS)
