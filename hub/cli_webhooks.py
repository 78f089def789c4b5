"""`hub webhooks list|retry`: see stored webhook deliveries and retry a stuck one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from hub.bootstrap import build_hub
from hub.services import webhook_admin

console = Console()
app = typer.Typer(help="Webhook deliveries: what arrived, what failed and why.", no_args_is_help=True)


@app.command("list")
def list_deliveries(
    status: Annotated[str | None, typer.Option(help="received, processing, processed or error.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=webhook_admin.MAX_LIST)] = 50,
) -> None:
    """Newest deliveries first, with the reason of those in error."""
    hub = build_hub()
    try:
        rows = webhook_admin.list_deliveries(hub.db, status=status, limit=limit)
    finally:
        hub.close()
    # One line each, never cut: the reason is what the admin came for (and a pipe has no width).
    for row in rows:
        line = (f"{row.id}\tstore {row.store_id}\t{row.topic}\t{row.status}\tattempts {row.attempts}\t"
                f"{row.received_at.isoformat()[:19]}")
        console.print(line + (f"\t{row.error}" if row.error else ""), highlight=False, soft_wrap=True)
    if not rows:
        console.print("no deliveries" + (f" with status {status}" if status else ""))


@app.command("retry")
def retry(delivery_id: Annotated[int, typer.Argument(help="Delivery id (from `hub webhooks list`).",
                                                     min=1, max=2**63 - 1)]) -> None:
    """Process a delivery in error (or waiting for its next attempt) again, now."""
    hub = build_hub()
    try:
        view = webhook_admin.retry(hub, delivery_id)
    finally:
        hub.close()
    line = f"delivery {view.id}: {view.status}"
    console.print(line + (f" ({view.error})" if view.error else ""), highlight=False, soft_wrap=True)
    if view.status == "error":
        raise typer.Exit(1)
