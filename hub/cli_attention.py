"""`hub attention …`: the attention list and its actions from the command line (the page's and the
API's service, `attention_actions.act`, with the same checks)."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.bootstrap import build_hub
from hub.cli_output import FormatOption, cli_console, emit
from hub.domain.attention_actions import Action
from hub.services import attention_actions, attention_view

console = cli_console()
app = typer.Typer(help="What needs a person, and the action that ends each item's cause.", no_args_is_help=True)


@app.command("list")
def list_items(fmt: FormatOption = "table") -> None:
    """Open items with the actions each one offers (snoozed ones last)."""
    hub = build_hub()
    try:
        active, snoozed = attention_view.entries(hub, limit=1000)
    finally:
        hub.close()
    rows = [{"id": e.id, "kind": e.kind, "reason": e.reason, "order": e.order_id, "actions": " ".join(e.actions),
             "snoozed_until": e.snoozed_until.isoformat(timespec="minutes") if e.snoozed_until else ""}
            for e in active + snoozed]
    emit(console, fmt, {"id": "id", "kind": "kind", "reason": "reason", "order": "order", "actions": "actions",
                        "snoozed_until": "snoozed until"}, rows, title="needs attention")


@app.command("offers")
def offers(item_id: int, fmt: FormatOption = "table") -> None:
    """The offers an item's line could be routed to (usable first)."""
    hub = build_hub()
    try:
        choices = attention_view.offers_for(hub, item_id)
    finally:
        hub.close()
    emit(console, fmt, {"offer_id": "offer", "supplier": "supplier", "sku": "sku", "cost": "cost",
                        "shipping": "shipping", "currency": "currency", "available": "in stock",
                        "ships": "ships there"}, [c.as_dict() for c in choices], title=f"offers for item {item_id}")


@app.command("act")
def act(item_id: int, action: Annotated[Action, typer.Argument(help="map, route_to, place_once, retry, approve, "
                                                                    "reject, contacted, cancel_reroute or dismiss")],
        offer: Annotated[str, typer.Option(help="offer id or SUPPLIER:SKU (map, route_to)")] = "",
        reason: Annotated[str, typer.Option(help="why (required to dismiss; goes on the order's timeline)")] = "",
        ) -> None:
    """Act on an item; the order moves on at once. Exit 0 once done, whether or not the item closed."""
    hub = build_hub()
    try:
        outcome = attention_actions.act(hub, item_id, action.value, offer=offer, reason=reason,
                                        actor="the admin via the CLI")
    finally:
        hub.close()
    console.print(f"item {item_id}: {outcome.message}" + (" (closed)" if outcome.closed else " (still open)"))
