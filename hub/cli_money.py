"""`hub fx import`, `hub report profit`, `hub report anomalies`: money from the command line."""

from __future__ import annotations

import csv
import io
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
from hub.services import profit as profit_service

console = cli_console()
fx_app = typer.Typer(help="FX rates for reporting in one currency.", no_args_is_help=True)
report_app = typer.Typer(help="Profit and reconciliation reports.", no_args_is_help=True)

ProfitGroup = Literal["day", "week", "month", "product", "supplier", "store", "order"]  # = profit.GROUPS (tested)
FIELDS = ("key", "label", "revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "fx", "profit", "margin",
          "incomplete", "estimated", "fx_missing")
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
    output: Annotated[Literal["table", "csv", "json"], typer.Option("--format")] = "table",
) -> None:
    """Revenue, refunds, fees, supplier cost and shipping, profit and margin % per period or key."""
    hub = build_hub()
    try:
        rows = profit_service.profit(hub.db, date_from, date_to, by, currency, hub.settings.reporting_currency)
        target = (currency or hub.settings.reporting_currency).upper()
    finally:
        hub.close()
    if output == "json":
        sys.stdout.write(json.dumps({"group_by": by, "currency": target, "rows": rows}, indent=2) + "\n")
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
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
    table = Table("kind", "order", "reason")
    for item in found:
        table.add_row(item["kind"], str(item["order_id"] or ""), item["reason"])
    console.print(table)
    if found:
        raise typer.Exit(1)
