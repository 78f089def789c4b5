"""`hub orders …`: import manual orders from CSV, list and show orders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from hub.bootstrap import build_hub
from hub.cli_checks import require_store
from hub.cli_output import FormatOption, cli_console, emit
from hub.domain.lifecycle import LABELS
from hub.errors import UserError
from hub.services import orders as order_service

console = cli_console()
app = typer.Typer(help="Orders from every channel.", no_args_is_help=True)


@app.command("import")
def import_csv(file: Annotated[Path, typer.Argument(help="CSV with one row per order line.")]) -> None:
    """Take manual orders from a CSV file; bad rows are listed with their line and reason."""
    if not file.is_file():
        raise UserError(f"cannot read {file}: no such file")
    hub = build_hub()
    try:
        with file.open("rb") as stream:
            result = order_service.import_manual_csv(hub.db, stream, hub.settings.reporting_currency)
    finally:
        hub.close()
    console.print(f"{result.rows} rows: {result.intake.created} orders created, {result.intake.updated} updated, "
                  f"{result.intake.unchanged} unchanged, {len(result.rejects)} rows rejected")
    if result.rejects:
        table = Table("line", "field", "reason", title="rejected rows")
        for reject in result.rejects:
            table.add_row(str(reject.line), reject.field or "", reject.reason)
        console.print(table)
        raise typer.Exit(1)  # the good orders are stored; the exit code says not everything was


OrderStatus = Literal["new", "routing", "routed", "partially_routed", "attention", "fulfilled_by_store",
                      "cancelled"]  # = hub.domain.orders.ORDER_STATUSES (a unit test keeps them equal)
OrderLifecycle = Literal["received", "needs_attention", "routed", "placed", "partially_shipped", "shipped",
                         "fulfilled", "partially_refunded", "refunded",
                         "cancelled"]  # = hub.domain.lifecycle.LIFECYCLES (a unit test keeps them equal)
ORDER_COLUMNS = {"id": "id", "store_id": "store", "name": "name", "lifecycle": "lifecycle", "status": "status",
                 "financial_status": "payment", "total": "total", "placed": "placed"}


@app.command("list")
def list_orders(
    status: Annotated[OrderStatus | None, typer.Option(help="Hub status.")] = None,
    lifecycle: Annotated[OrderLifecycle | None, typer.Option(
        help="Lifecycle: received, needs_attention, routed, placed, partially_shipped, shipped, fulfilled, "
             "partially_refunded, refunded, cancelled.")] = None,
    store: Annotated[int | None, typer.Option(help="Store id.")] = None,
    q: Annotated[str | None, typer.Option(help="Search name, e-mail or external id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many orders to show.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many (newest first) to see the next page.")] = 0,
    output: FormatOption = "table",
) -> None:
    """Newest orders first, a page at a time; says how many there are and how to see the next page."""
    hub = build_hub()
    try:
        require_store(hub, store)
        page = order_service.page_orders(hub.db, status=status, store_id=store, q=q, limit=limit, offset=offset,
                                         lifecycle=lifecycle)
    finally:
        hub.close()
    rows = [{**row, "total": f"{row['total_price']} {row['currency']}", "placed": row["placed_at"][:19]}
            for row in page.rows]
    emit(console, output, ORDER_COLUMNS, rows)
    if output == "table":
        console.print(paging_hint(page.offset, len(page.rows), page.total), highlight=False)


def paging_hint(offset: int, shown: int, total: int) -> str:
    """Where this page is in the list and the option that shows the next one, e.g. 'showing 1–50 of 812'."""
    if shown == 0:
        return f"no orders here (of {total})" if total else "no orders"
    last = offset + shown
    hint = f"showing {offset + 1}–{last} of {total}"
    return hint + (f"; next: --offset {last}" if last < total else "")


@app.command("show")
def show(order_id: int, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """One order with its lines, timeline, ledger and profit."""
    hub = build_hub()
    try:
        order = order_service.get_order(hub.db, order_id, hub.settings.reporting_currency)
    finally:
        hub.close()
    if as_json:
        console.print_json(json.dumps(order))
        return
    console.print(f"[bold]{order['name']}[/] (id {order['id']}, store {order['store_id']}) "
                  f"{LABELS[order['lifecycle']]} · {order['status']} · "
                  f"{order['financial_status']} · {order['total_price']} {order['currency']}")
    lines = Table("sku", "title", "qty", "unit price", "routing")
    for line in order["lines"]:
        lines.add_row(line["sku"] or "", line["title"], str(line["quantity"]), line["unit_price"],
                      line["routing_status"])
    console.print(lines)
    timeline = Table("at", "event", "message")
    for event in order["timeline"]:
        timeline.add_row(event["at"][:19], event["kind"], event["message"])
    console.print(timeline)
    if order["ledger"]:
        ledger = Table("money fact", "kind", "amount", "estimated")
        for row in order["ledger"]:
            ledger.add_row(row["source_ref"], row["kind"], f"{row['amount']} {row['currency']}",
                           "yes" if row["estimated"] else "")
        console.print(ledger)
    profit = order["profit"]
    if profit:
        console.print(f"profit {profit['profit']} {profit['currency']} (revenue {profit['revenue']}, refunds "
                      f"{profit['refunds']}, fees {profit['fees']}, supplier {profit['supplier_cost']} + "
                      f"{profit['shipping_cost']} shipping; margin {profit['margin'] or '-'}%"
                      f"{'; FX rate missing' if profit['fx_missing'] else ''})")
