"""`hub store …`: connect, list and remove storefronts."""

from __future__ import annotations

from typing import Annotated

import typer

from hub.bootstrap import build_hub
from hub.cli_checks import require_store
from hub.cli_output import FormatOption, cli_console, emit
from hub.errors import UserError
from hub.services import stores

console = cli_console()
app = typer.Typer(help="Connected storefronts.", no_args_is_help=True)


@app.command("add")
def add(
    platform: Annotated[str, typer.Argument(help="Only 'shopify' for now.")],
    shop: Annotated[str, typer.Option(help="NAME.myshopify.com")],
    token: Annotated[str | None, typer.Option(help="Admin API access token (asked for when omitted).")] = None,
    webhook_secret: Annotated[str | None, typer.Option(help="Secret that signs this store's webhooks.")] = None,
    api_version: Annotated[str | None, typer.Option(help="Admin API version, e.g. 2026-10.")] = None,
    verify: Annotated[bool, typer.Option(help="Check the token with a `shop` query first.")] = True,
    currency: Annotated[str | None, typer.Option(help="Store currency when --no-verify.")] = None,
) -> None:
    """Connect a store; prints its id. The token is stored encrypted and never shown again."""
    if platform != "shopify":
        raise UserError(f"unknown platform {platform!r}: only 'shopify' is supported")
    if token is None:
        token = typer.prompt("Admin API access token", hide_input=True)
    hub = build_hub()
    try:
        view = stores.add_shopify_store(hub, stores.NewShopifyStore(
            shop=shop, token=token, webhook_secret=webhook_secret, api_version=api_version, verify=verify,
            currency=currency))
    finally:
        hub.close()
    console.print(f"store {view['id']} connected: {view['name']} ({view['shop_domain']}, {view['currency']})")


@app.command("list")
def list_stores(output: FormatOption = "table") -> None:
    """Connected stores (tokens are never printed)."""
    hub = build_hub()
    try:
        rows = stores.list_stores(hub.db)
    finally:
        hub.close()
    emit(console, output, {"id": "id", "platform": "platform", "name": "name", "shop_domain": "domain",
                           "currency": "currency", "api_version": "api version", "status": "status",
                           "webhook_secret_set": "webhook secret"}, rows)


@app.command("remove")
def remove(store_id: int) -> None:
    """Remove a store: deleted when it has no orders, else kept for history without its credentials."""
    hub = build_hub()
    try:
        require_store(hub, store_id)
        outcome = stores.remove_store(hub.db, store_id)
    finally:
        hub.close()
    console.print(f"store {store_id} {outcome}")
