"""`hub expenses …` (other costs) and `hub report summary` (the period's KPIs) from the command line."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from hub.bootstrap import build_hub
from hub.cli_output import FormatOption, cli_console, emit
from hub.domain.expenses import ExpenseError, kind_of, validate
from hub.errors import UserError
from hub.services import expenses, kpis
from hub.services import profit as profit_service

console = cli_console()
app = typer.Typer(help="Other costs: ad spend, one-off and recurring costs.", no_args_is_help=True)
KindName = Literal["ad-spend", "one-off", "recurring"]
COLUMNS = {"id": "id", "kind": "kind", "day": "date", "end_day": "end", "platform": "platform", "name": "name",
           "store_id": "store", "store_name": "store name", "amount": "amount", "currency": "currency"}


@app.command("import")
def import_file(file: Annotated[Path, typer.Argument(
        help="CSV with columns date, platform, campaign, amount, currency, store (id or name; empty: all stores).")]
                ) -> None:
    """Load ad spend; importing the same rows again updates them, never doubles. Exit 1 if a row was bad."""
    if not file.is_file():
        raise UserError(f"cannot read {file}: no such file")
    hub = build_hub()
    try:
        with file.open("rb") as stream:
            result = expenses.import_csv(hub.db, stream)
    finally:
        hub.close()
    console.print(f"{result.rows} rows: {result.written} written, {len(result.errors)} rejected")
    if result.errors:
        table = Table("line", "field", "reason", title="rejected rows")
        for error in result.errors:
            table.add_row(str(error.line), error.field, error.message)
        console.print(table)
        raise typer.Exit(1)  # the good rows are stored; the exit code says not all were


@app.command("add")
def add(
    kind: Annotated[KindName, typer.Argument(help="one-off, recurring (per calendar month) or ad-spend (per day).")],
    amount: Annotated[str, typer.Option(help="Amount in the currency: once, per month or per day.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code, e.g. USD.")],
    day: Annotated[str, typer.Option("--date", help="YYYY-MM-DD: the day, or a recurring cost's first day.")],
    name: Annotated[str, typer.Option(help="What the cost is (one-off, recurring) or the campaign (ad-spend).")
                    ] = "",
    platform: Annotated[str, typer.Option(help="Ad platform (ad-spend).")] = "",
    store: Annotated[str | None, typer.Option(help="Store id or name; omitted: all stores.")] = None,
    end: Annotated[str | None, typer.Option(help="A recurring cost's last day, YYYY-MM-DD.")] = None,
) -> None:
    """Record a cost; the same kind, day, store, currency, platform and name again updates its amount."""
    try:
        item = validate(kind_of(kind), day, amount, currency, name=name, platform=platform, store=store, end_day=end)
    except ExpenseError as exc:
        raise UserError(f"--{exc.field.replace('campaign', 'name')}: {exc.message}") from None
    hub = build_hub()
    try:
        [view] = expenses.record(hub.db, [item])
    finally:
        hub.close()
    console.print(f"expense {view.id}: {view.kind} {view.amount} {view.currency} from {view.day.isoformat()}"
                  f"{' to ' + view.end_day.isoformat() if view.end_day else ''}", highlight=False)


def _day(text: str | None, option: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise UserError(f"{option}: {text!r} is not a day as YYYY-MM-DD") from None


@app.command("list")
def list_command(
    kind: Annotated[KindName | None, typer.Option(help="Only this kind.")] = None,
    store: Annotated[int | None, typer.Option(help="Only the costs of this store id.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 500,
    output: FormatOption = "table",
) -> None:
    """Costs, newest first (with --from/--to: of those days; recurring costs active in them)."""
    hub = build_hub()
    try:
        rows = expenses.list_expenses(hub.db, kind=kind_of(kind) if kind else None, store_id=store,
                                      start=_day(date_from, "--from"), end=_day(date_to, "--to"), limit=limit)
    finally:
        hub.close()
    emit(console, output, COLUMNS, [row.as_dict() for row in rows], title="expenses")


@app.command("delete")
def delete(expense_id: Annotated[int, typer.Argument(min=1)]) -> None:
    """Delete one cost by its id (see `hub expenses list`)."""
    hub = build_hub()
    try:
        expenses.delete_expense(hub.db, expense_id)
    finally:
        hub.close()
    console.print(f"expense {expense_id} deleted")


def report_summary(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (UTC).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (UTC), inclusive.")],
    store: Annotated[int | None, typer.Option(help="Store id; omitted: all stores.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO code; default HUB_REPORTING_CURRENCY.")] = None,
    output: Annotated[Literal["table", "csv", "json"], typer.Option("--format")] = "table",
) -> None:
    """Revenue to net profit, other costs, ROAS: the period, the previous one of the same length, the change."""
    start, end, _, code = profit_service.parse_query(date_from, date_to, "day", currency)
    hub = build_hub()
    try:
        target = code or hub.settings.reporting_currency
        with hub.db.read() as session:
            result = kpis.compare(session, start, end, target, store)
    finally:
        hub.close()
    view = result.view()
    if output == "json":
        sys.stdout.write(json.dumps({"from": start.isoformat(), "to": end.isoformat(), "currency": target,
                                     "store_id": store, **view}, indent=2) + "\n")
        return
    rows = [{"figure": name, "current": _text(view["current"][name]), "previous": _text(view["previous"][name]),
             "change": _text(view["change"][name]["absolute"]), "change_pct": _text(view["change"][name]["percent"])}
            for name in kpis.COMPARED]
    if output == "csv":
        writer = csv.DictWriter(sys.stdout, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table("figure", "current", "previous", "change", "change %",
                  title=f"{start.isoformat()} to {end.isoformat()} ({target}) against "
                        f"{result.previous.start.isoformat()} to {result.previous.end.isoformat()}")
    for row in rows:
        table.add_row(*row.values())
    console.print(table)
    if result.current.fx_missing or result.previous.fx_missing:
        missing = sorted(set(result.current.fx_missing_for) | set(result.previous.fx_missing_for))
        console.print(f"no FX rate for {', '.join(missing[:10])}{' …' if len(missing) > 10 else ''}: "
                      "those amounts are left out (hub fx import)", highlight=False)


def _text(value: object) -> str:
    return "" if value is None else str(value)
