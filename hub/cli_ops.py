"""`hub map …` (listing ↔ offer mappings) and `hub jobs …` (run a job now, or work the queue)."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.bootstrap import build_hub
from hub.errors import UserError
from hub.services import listings

console = Console()
map_app = typer.Typer(help="Which supplier offers ship each store product.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)


@map_app.command("add")
def map_add(
    store_sku: Annotated[str, typer.Argument(help="The store listing's SKU.")],
    supplier_offer: Annotated[str, typer.Argument(help="SUPPLIER_CODE:SUPPLIER_SKU")],
    priority: Annotated[int | None, typer.Option(
        help="Lower goes first (default: after the existing ones); an existing priority makes a bundle.")] = None,
    qty: Annotated[int, typer.Option(help="Units of this offer per unit sold (bundles).")] = 1,
    store: Annotated[int | None, typer.Option(help="Store id, when the SKU is listed in several.")] = None,
) -> None:
    """Map a store product to a supplier offer."""
    hub = build_hub()
    try:
        view = listings.add_mapping(hub, store_sku, supplier_offer, priority=priority, quantity=qty, store_id=store)
    finally:
        hub.close()
    console.print(f"mapping {view['id']}: {store_sku} → {supplier_offer} (priority {view['priority']}, qty {qty})")


@map_app.command("list")
def map_list(store_sku: Annotated[str | None, typer.Argument()] = None) -> None:
    """Mappings, by listing and priority."""
    hub = build_hub()
    try:
        rows = listings.list_mappings(hub, store_sku)
    finally:
        hub.close()
    table = Table("id", "store", "store sku", "supplier", "supplier sku", "priority", "qty", "source")
    for row in rows:
        table.add_row(str(row["id"]), str(row["store_id"]), row["store_sku"] or "", row["supplier"],
                      row["supplier_sku"], str(row["priority"]), str(row["quantity"]), row["source"])
    console.print(table)


@map_app.command("remove")
def map_remove(mapping_id: int) -> None:
    hub = build_hub()
    try:
        listings.remove_mapping(hub, mapping_id)
    finally:
        hub.close()
    console.print(f"mapping {mapping_id} removed")


@jobs_app.command("list")
def jobs_list() -> None:
    """The registered jobs and how often they run."""
    from hub.config import get_settings
    from jobs.definitions import register_all
    from jobs.registry import registry

    register_all(get_settings())
    table = Table("job", "every (s)", "per store")
    for spec in registry.all():
        table.add_row(spec.name, f"{spec.interval_seconds:g}", "yes" if spec.per_store else "no")
    console.print(table)


@jobs_app.command("run")
def jobs_run(
    names: Annotated[list[str], typer.Argument(help="Job names (see `hub jobs list`).")],
    loop: Annotated[bool, typer.Option(help="Keep running them until stopped (a worker).")] = False,
    interval: Annotated[float, typer.Option(help="Pause between rounds with --loop (s).")] = 1.0,
) -> None:
    """Run jobs now (each per store where it applies); with --loop, as a worker process."""
    from hub.config import get_settings
    from jobs.definitions import register_all
    from jobs.registry import registry
    from jobs.scheduler import tick

    register_all(get_settings())
    try:
        specs = [registry.get(name) for name in names]
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from exc
    hub = build_hub()
    try:
        while True:
            for spec in specs:
                tick(hub, spec)
            if not loop:
                break
            time.sleep(interval)
    finally:
        hub.close()
    console.print(f"ran {', '.join(names)}")


def demo(
    orders: Annotated[int, typer.Option(min=1, max=100_000, help="How many orders the sandbox shop sells.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """The whole flow on the configured database against in-process sandboxes, then a summary."""
    import json

    from hub.db.migrate import upgrade
    from hub.services.demo import run_demo

    hub = build_hub()
    try:
        upgrade(hub.db.engine)
        summary = run_demo(hub, orders)
    finally:
        hub.close()
    if as_json:
        print(json.dumps(summary.as_dict()))
        return
    table = Table("", "", title="hub demo")
    for key, value in summary.as_dict().items():
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)


sync_app = typer.Typer(help="Stock and prices to the stores.", no_args_is_help=True)


@sync_app.command("push")
def sync_push(store: Annotated[int | None, typer.Option(help="One store (default: every active store).")] = None,
              dry_run: Annotated[bool, typer.Option(help="Only show what would be sent.")] = False) -> None:
    """Push changed stock and prices now (what the jobs do every minute)."""
    from hub.services import store_sync
    from hub.services.stores import active_store_ids

    hub = build_hub()
    try:
        store_ids = [store] if store is not None else active_store_ids(hub.db, ["shopify"])
        table = Table("store", "listings", "stock changes", "inventory calls", "price changes", "price calls",
                      "awaiting approval")
        for store_id in store_ids:
            if dry_run:
                summary = store_sync.plan(hub, store_id).summary()
                row = [summary["listings"], summary["quantity_changes"], summary["inventory_calls"],
                       summary["price_changes"], summary["price_calls"], summary["prices_awaiting_approval"]]
            else:  # each push plans for itself: report what it did
                stock, prices = store_sync.push_inventory(hub, store_id), store_sync.push_prices(hub, store_id)
                row = [stock["listings"], stock["changed"], stock["calls"], prices["changed"], prices["calls"],
                       prices["awaiting_approval"]]
            table.add_row(str(store_id), *(str(value) for value in row))
    finally:
        hub.close()
    console.print(table)
    if dry_run:
        console.print("dry run: nothing was sent")
