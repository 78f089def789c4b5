"""What the supplier pages show, read from the services the API uses, and in words.

`supplier_page` gathers one supplier's page (scorecard, keys, feed runs with their rejects,
purchase orders) so every form on it can answer with the same page, its result or errors added.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from hub.api.dashboard import not_found_page, render_page
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.domain.money import format_amount
from hub.errors import NotFound
from hub.services import feed_runs, purchase_orders, scorecards, suppliers

PERIODS = (7, 30, 90)  # days: the presets of the scorecard period
DEFAULT_DAYS = 30
REJECTS_SHOWN = 100  # rejects listed per run on the page; the API pages through the rest
RUNS_WITH_REJECTS = 5  # the newest runs whose rejects are listed
KIND_WORDS = {"feed": "feed only (pushed or pulled)", "csv_po": "purchase orders as CSV files",
              "cj": "CJ Dropshipping API", "sandbox": "sandbox (emulated supplier API)"}
RUN_WORDS = {"running": "importing", "applied": "applied", "suspect": "held: far fewer rows than the last full feed",
             "failed": "failed", "discarded": "discarded"}
SOURCE_WORDS = {"push": "pushed with a key", "cli": "imported from the command line", "url": "pulled from its URL",
                "upload": "uploaded on this page"}
NOTES = {"added": "Supplier added. Create a key for it to push its feed, or upload a feed file below.",
         "revoked": "Key revoked: it no longer opens anything.",
         "confirmed": "Held feed applied.", "discarded": "Held feed discarded: nothing of it was applied."}


def period_days(value: str | None) -> int:
    """The chosen preset, or the default for anything else (a link typed by hand is no error)."""
    return int(value) if value in {str(days) for days in PERIODS} else DEFAULT_DAYS


def percent(ratio: Any) -> str:
    return "–" if ratio is None else f"{ratio * 100:.1f} %"


def words(card: scorecards.Scorecard) -> dict[str, Any]:
    """The scorecard's view with ratios in per cent and each currency's cost as one phrase."""
    view = card.view()
    view["fill_rate_words"] = percent(card.fill_rate)
    view["late_share_words"] = percent(card.late_share)
    view["cost_words"] = [f"{format_amount(amount, currency)} {currency}"
                          for currency, amount in sorted(card.cost.items())]
    return view


def scorecard_rows(hub: Hub, days: int, supplier_id: int | None = None) -> list[dict[str, Any]]:
    """The scorecards of the last `days` days, in words."""
    until = utcnow()
    with hub.db.read() as s:
        cards = scorecards.scorecards(s, until - timedelta(days=days), until, supplier_id, now=until)
    return [words(card) for card in cards]


def _runs(hub: Hub, code: str) -> list[dict[str, Any]]:
    runs = []
    for index, run in enumerate(feed_runs.list_runs(hub.db, code, 20)):
        row = run.as_dict()
        row["status_words"] = RUN_WORDS.get(run.status, run.status)
        row["source_words"] = SOURCE_WORDS.get(run.source, run.source)
        row["rejects"], row["rejects_total"] = [], 0
        if run.rejected and index < RUNS_WITH_REJECTS:
            _, row["rejects"], row["rejects_total"] = feed_runs.get_run(hub.db, run.id, code=code,
                                                                        limit=REJECTS_SHOWN)
        runs.append(row)
    return runs


def _batches(hub: Hub, code: str, kind: str) -> list[str]:
    if kind != "csv_po":
        return []
    try:
        return list(reversed(purchase_orders.list_batches(hub, code)))  # newest first
    except (NotFound, ValueError, OSError):
        return []


def supplier_page(request: Request, hub: Hub, code: str, *, days: int = DEFAULT_DAYS, note: str | None = None,
                  status_code: int = 200, **context: Any) -> Response:
    """The supplier's page; `context` adds a form's result (a new key, an upload) or its errors."""
    try:
        supplier = suppliers.get_supplier(hub.db, code)
    except NotFound:
        return not_found_page(request)
    (card,) = scorecard_rows(hub, days, supplier.id)
    context.setdefault("upload_form", {"mode": "full", "format": "auto"})
    return render_page(
        request, "supplier.html", status_code=status_code, supplier=supplier,
        kind_words=KIND_WORDS.get(supplier.kind, supplier.kind), card=card, days=days, periods=PERIODS,
        keys=suppliers.list_keys(hub.db, code), runs=_runs(hub, code), batches=_batches(hub, code, supplier.kind),
        note=NOTES.get(note or ""), key_form=context.pop("key_form", {"label": ""}), **context)
