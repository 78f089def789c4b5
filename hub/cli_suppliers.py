"""`hub supplier …`: add and list suppliers, create, list and revoke their API keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal

import typer
from rich.table import Table

from hub.bootstrap import Hub, build_hub
from hub.cli_checks import require_supplier
from hub.cli_output import FormatOption, cli_console, emit
from hub.services import suppliers

console = cli_console()
SupplierKind = Literal["feed", "csv_po", "cj", "sandbox"]  # = hub.services.suppliers.KINDS (a test keeps them equal)
supplier_app = typer.Typer(help="Suppliers and their API keys.", no_args_is_help=True)


@contextmanager
def cli_hub() -> Iterator[Hub]:
    """A Hub for one command, closed afterwards."""
    hub = build_hub()  # a bad HUB_DATABASE_URL is a UserError naming it
    try:
        yield hub
    finally:
        hub.close()


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


@supplier_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="Short code: a-z, 0-9, '-', '_'.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    currency: Annotated[str, typer.Option(help="ISO 4217 currency of its prices, e.g. USD.")],
    kind: Annotated[SupplierKind, typer.Option(help="How the hub talks to it.")] = "feed",
    feed_url: Annotated[str | None, typer.Option(help="URL the hub pulls the feed from on a schedule.")] = None,
    mapping: Annotated[str | None, typer.Option(help='Column mapping as JSON, e.g. \'{"sku": "Item"}\'.')] = None,
    default_quantity: Annotated[int | None, typer.Option(help="Stock of an in_stock row without quantity.")] = None,
    backorder_quantity: Annotated[int | None, typer.Option(help="Stock of a preorder/backorder row.")] = None,
) -> None:
    """Add a supplier."""
    columns = suppliers.parse_mapping(mapping)
    with cli_hub() as hub:
        view = suppliers.add_supplier(hub.db, code, name, currency, kind=kind, feed_url=feed_url, mapping=columns,
                                      default_quantity=default_quantity, backorder_quantity=backorder_quantity,
                                      guard=suppliers.url_guard(hub))
    console.print(f"supplier {view.code} added (id {view.id}, {view.kind}, {view.currency})")


@supplier_app.command("list")
def list_(output: FormatOption = "table") -> None:
    """List suppliers."""
    with cli_hub() as hub:
        views = suppliers.list_suppliers(hub.db)
    rows = [{"code": s.code, "name": s.name, "kind": s.kind, "currency": s.currency, "feed_url": s.feed_url,
             "active": s.active} for s in views]
    emit(console, output, {"code": "code", "name": "name", "kind": "kind", "currency": "currency",
                           "feed_url": "feed URL", "active": "active"}, rows, title="suppliers")


@supplier_app.command("key")
def key(
    code: Annotated[str, typer.Argument(help="Supplier code.")],
    label: Annotated[str | None, typer.Option(help="What the key is for, e.g. 'nightly feed'.")] = None,
) -> None:
    """Create an API key for the supplier; it is printed once and only its hash is kept."""
    with cli_hub() as hub:
        require_supplier(hub, code)
        view, secret = suppliers.create_key(hub.db, code, label)
    console.print(f"key {view.id} for supplier {view.supplier_code} (prefix {view.prefix}); "
                  "store it now, it will not be shown again:", highlight=False)
    typer.echo(secret)


@supplier_app.command("keys")
def keys(code: Annotated[str, typer.Argument(help="Supplier code.")]) -> None:
    """List the supplier's keys (never the keys themselves)."""
    with cli_hub() as hub:
        require_supplier(hub, code)
        views = suppliers.list_keys(hub.db, code)
    table = Table("id", "prefix", "label", "created", "last used", "revoked", title=f"keys of {code}")
    for k in views:
        table.add_row(str(k.id), k.prefix, k.label or "-", when(k.created_at), when(k.last_used_at),
                      when(k.revoked_at))
    console.print(table)


@supplier_app.command("revoke-key")
def revoke_key(key_id: Annotated[int, typer.Argument(help="Key id (see 'hub supplier keys CODE').")]) -> None:
    """Revoke a key: requests with it are refused from now on."""
    with cli_hub() as hub:
        view = suppliers.revoke_key(hub.db, key_id)
    console.print(f"key {view.id} ({view.prefix}) of supplier {view.supplier_code} revoked at {when(view.revoked_at)}")
