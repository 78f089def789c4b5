"""`hub shipments import CODE FILE`: tracking numbers from a supplier's CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.bootstrap import build_hub
from hub.cli_checks import require_supplier
from hub.cli_output import cli_console
from hub.domain.outbox_kinds import OutboxKind
from hub.errors import UserError
from hub.services import outbox
from hub.services.shipments import import_shipments_csv

console = cli_console()
app = typer.Typer(help="Parcels and tracking.", no_args_is_help=True)


@app.command("import")
def import_file(code: Annotated[str, typer.Argument(help="Supplier code.")],
                file: Annotated[Path, typer.Argument(help="CSV: reference, tracking_number, carrier, "
                                                          "tracking_url, sku, quantity")]) -> None:
    """Record a supplier's parcels; each becomes a store fulfillment at the next outbox run."""
    if not file.is_file():
        raise UserError(f"cannot read {file}: no such file")
    hub = build_hub()
    try:
        require_supplier(hub, code)
        result = import_shipments_csv(hub, code, file.read_bytes())
        outbox.dispatch(hub, kinds=[OutboxKind.FULFIL])
    finally:
        hub.close()
    console.print(f"{result.created} parcels recorded, {result.already_known} already known, "
                  f"{len(result.rejects)} rows rejected")
    if result.rejects:
        table = Table("line", "reason", title="rejected rows")
        for line, reason in result.rejects:
            table.add_row(str(line) if line else "-", reason)
        console.print(table)
        raise typer.Exit(1)
