"""`hub fx import`, `hub report profit`, `hub report anomalies`, `hub report payouts`: money from the command line."""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from hub.bootstrap import build_hub
from hub.cli_output import cli_console
from hub.errors import UserError
from hub.services import anomalies, fx
from hub.services import payouts as payout_service
from hub.services import profit as profit_service
from hub.services.profit_page import CSV_FIELDS, profit_csv

console = cli_console()
fx_app = typer.Typer(help="FX rates for reporting in one currency.", no_args_is_help=True)
report_app = typer.Typer(help="Profit and reconciliation reports.", no_args_is_help=True)

ProfitGroup = Literal["day", "week", "month", "product", "supplier", "store", "order"]  # = profit.GROUPS (tested)
FIELDS = CSV_FIELDS
_TABLE = ("key", "label", "revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "fx", "profit")


ledger_app = typer.Typer(help="The ledger's allocation to products and suppliers.", no_args_is_help=True)


@ledger_app.command("reallocate")
def ledger_reallocate() -> None:
    """Allocate every order's ledger rows to lines and suppliers again (the migration did it once;
    the writer keeps it current): after a fix to the allocation rules, or to check nothing drifts."""
    from hub.services.allocation import reallocate_all

    hub = build_hub()
    try:
        with hub.db.transaction() as session:
            parts = reallocate_all(session)
    finally:
        hub.close()
    console.print(f"{parts} ledger parts written")


@fx_app.command("import")
def fx_import(file: Annotated[Path, typer.Argument(help="CSV with columns day (or date), base, quote, rate.")]
              ) -> None:
    """Load FX rates (1 base = rate quote on day); importing again updates, never doubles."""
    if not file.is_file():
        raise UserError(f"cannot read {file}: no such file")
    hub = build_hub()
    try:
        with file.open("rb") as stream:
            result = fx.import_csv(hub.db, stream, file.name)
    finally:
        hub.close()
    console.print(f"{result.rows} rows: {result.written} rates written, {len(result.rejects)} rejected")
    if result.rejects:
        table = Table("line", "reason", title="rejected rows")
        for line, reason in result.rejects:
            table.add_row(str(line), reason)
        console.print(table)
        raise typer.Exit(1)  # good rows are stored; the exit code says not everything was


@report_app.command("profit")
def report_profit(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC), inclusive.")],
    by: Annotated[ProfitGroup, typer.Option(help="Period or key to group by.")] = "day",
    currency: Annotated[str | None, typer.Option(help="ISO code; default HUB_REPORTING_CURRENCY.")] = None,
    store: Annotated[int | None, typer.Option(min=1, help="Only this store (id).")] = None,
    output: Annotated[Literal["table", "csv", "json"], typer.Option("--format")] = "table",
) -> None:
    """Revenue, refunds, fees, supplier cost and shipping, profit and margin % per period or key."""
    hub = build_hub()
    try:
        rows = profit_service.profit(hub.db, date_from, date_to, by, currency, hub.settings.reporting_currency,
                                     store_id=store)
        target = (currency or hub.settings.reporting_currency).upper()
    finally:
        hub.close()
    if output == "json":
        sys.stdout.write(json.dumps({"group_by": by, "currency": target, "rows": rows}, indent=2) + "\n")
    elif output == "csv":
        sys.stdout.write(profit_csv(rows))
    else:
        table = Table(*_TABLE, "margin", title=f"profit by {by} ({target})")
        for row in rows:
            notes = [note for note, on in (("incomplete", row["incomplete"]), ("estimated", row["estimated"]),
                                           ("fx missing", row["fx_missing"])) if on]
            flag = f" ({', '.join(notes)})" if notes else ""
            table.add_row(*(str(row[f] if row[f] is not None else "") for f in _TABLE),
                          f"{row['margin'] or ''}{flag}")
        console.print(table)


@report_app.command("anomalies")
def report_anomalies() -> None:
    """Money that disagrees (also put on the attention list); exit 1 when there is any."""
    hub = build_hub()
    try:
        found = anomalies.reconcile(hub.db, tolerance_pct=hub.settings.supplier_cost_tolerance_pct,
                                    grace=timedelta(minutes=hub.settings.unsent_order_grace_minutes),
                                    reporting_currency=hub.settings.reporting_currency)
    finally:
        hub.close()
    table = Table("kind", "about", "in words")
    for item in found:
        table.add_row(item["kind"], (item.get("link") or {}).get("text", ""), item["reason"])
    console.print(table)
    if found:
        raise typer.Exit(1)


@report_app.command("payouts")
def report_payouts(
    store: Annotated[int | None, typer.Option(min=1, help="Only this store's payouts.")] = None,
    wait_days: Annotated[int, typer.Option(min=0, max=3650, help="Days before a paid order's missing payout "
                                                                  "counts as expected but not received.")] = 7,
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many payouts, newest first.")] = 50,
    output: Annotated[Literal["table", "json"], typer.Option("--format")] = "table",
) -> None:
    """Each payout: expected from its orders against received, and the difference in words."""
    hub = build_hub()
    try:
        views = payout_service.list_payouts(hub.db, store_id=store, limit=limit)
        unpaid = payout_service.unpaid_orders(hub.db, wait_days=wait_days, store_id=store)
    finally:
        hub.close()
    if output == "json":
        sys.stdout.write(json.dumps({"payouts": [v.as_dict() for v in views],
                                     "expected_not_received": [u.as_dict() for u in unpaid]}, indent=2) + "\n")
        return
    table = Table("payout", "store", "issued", "expected", "received", "difference", "why", title="payouts")
    for view in views:
        row = view.as_dict()
        table.add_row(row["external_id"], row["store"], (row["issued_at"] or "")[:10],
                      f"{row['expected']} {row['currency']}", f"{row['received']} {row['currency']}",
                      row["difference"], "; ".join(row["explained"]) or "matches")
    console.print(table)
    if unpaid:
        waiting = Table("order", "store", "placed", "total", "days", title="paid, not in any payout yet")
        for order in unpaid:
            row = order.as_dict()
            waiting.add_row(row["name"], row["store"], row["placed_at"][:10], f"{row['total']} {row['currency']}",
                            str(row["days_waiting"]))
        console.print(waiting)
