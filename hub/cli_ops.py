"""`hub map …` (listing ↔ offer mappings) and `hub jobs …` (run a job now, or work the queue)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hub.bootstrap import build_hub
from hub.cli_checks import require_store, require_supplier
from hub.cli_output import FormatOption, cli_console, emit
from hub.errors import UserError
from hub.services import listings

console = cli_console()
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
        require_store(hub, store)
        if ":" in supplier_offer:
            require_supplier(hub, supplier_offer.split(":", 1)[0])
        view = listings.add_mapping(hub, store_sku, supplier_offer, priority=priority, quantity=qty, store_id=store)
    finally:
        hub.close()
    console.print(f"mapping {view['id']}: {store_sku} → {supplier_offer} (priority {view['priority']}, qty {qty})")


@map_app.command("list")
def map_list(store_sku: Annotated[str | None, typer.Argument()] = None, output: FormatOption = "table") -> None:
    """Mappings, by listing and priority."""
    hub = build_hub()
    try:
        rows = listings.list_mappings(hub, store_sku)
    finally:
        hub.close()
    emit(console, output, {"id": "id", "store_id": "store", "store_sku": "store sku", "supplier": "supplier",
                           "supplier_sku": "supplier sku", "priority": "priority", "quantity": "qty",
                           "source": "source"}, rows)


@map_app.command("remove")
def map_remove(mapping_id: int) -> None:
    hub = build_hub()
    try:
        listings.remove_mapping(hub, mapping_id)
    finally:
        hub.close()
    console.print(f"mapping {mapping_id} removed")


@jobs_app.command("list")
def jobs_list(
    sandbox: Annotated[bool, typer.Option(help="The intervals as `hub run --sandbox` (make run) uses them.")] = False,
    output: FormatOption = "table",
) -> None:
    """The registered jobs and how often they run (under --sandbox, the intervals it overrides are marked)."""
    from hub.config import get_settings
    from hub.server import sandbox_overrides
    from jobs.definitions import register_all
    from jobs.registry import registry

    settings = get_settings().model_copy()
    overridden = sandbox_overrides(settings) if sandbox else {}
    register_all(settings)
    rows: list[dict[str, object]] = [
        {"job": spec.name, "every_s": spec.interval_seconds, "per_store": spec.per_store,
         "note": f"--sandbox: was {overridden[spec.name]:g}" if spec.name in overridden else ""}
        for spec in registry.all()]
    if sandbox:
        rows.insert(0, {"job": "sandbox.tick", "every_s": settings.sandbox_tick_seconds, "per_store": False,
                        "note": "--sandbox only: the sandbox shop sells and its suppliers ship"})
    emit(console, output, {"job": "job", "every_s": "every (s)", "per_store": "per store", "note": "note"},
         [{**row, "every_s": f"{row['every_s']:g}"} if output == "table" else row for row in rows])
    if output == "table" and not sandbox:
        console.print("`hub run --sandbox` (make run) runs some jobs more often: hub jobs list --sandbox",
                      highlight=False)


@jobs_app.command("run")
def jobs_run(
    names: Annotated[list[str], typer.Argument(help="Job names (see `hub jobs list`).")],
    loop: Annotated[bool, typer.Option(help="Keep running them until stopped (a worker).")] = False,
    interval: Annotated[float, typer.Option(min=0, help="Pause between rounds with --loop (s).")] = 1.0,
) -> None:
    """Run jobs now (each per store where it applies); with --loop, as a worker process.

    Prints one line per run: the job, its store, what it counted or its error, and how long it took.
    Exit 1 when a run of a single round failed.
    """
    from hub.config import get_settings
    from hub.services.stores import active_store_ids
    from jobs.definitions import register_all
    from jobs.registry import registry
    from jobs.runner import run_job

    register_all(get_settings())
    try:
        specs = [registry.get(name) for name in names]
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from exc
    hub = build_hub()
    failed = False
    try:
        while True:
            for spec in specs:
                scopes = active_store_ids(hub.db, spec.platforms) if spec.per_store else [None]
                if not scopes:
                    console.print(f"{spec.name}: no active store to run for", highlight=False)
                for store_id in scopes:
                    started = time.perf_counter()
                    outcome = run_job(hub, spec, store_id)
                    failed = failed or outcome.status == "error"
                    console.print(run_line(spec.name, store_id, outcome.status, outcome.counts, outcome.error,
                                           time.perf_counter() - started), highlight=False, soft_wrap=True)
            if not loop:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("stopped")
    finally:
        hub.close()
    if failed and not loop:
        raise typer.Exit(1)


def run_line(job: str, store_id: int | None, status: str, counts: dict[str, int], error: str | None,
             seconds: float) -> str:
    """One line per job run: 'orders.pull store 1: ok created=3 updated=0 (0.42 s)'."""
    where = f" store {store_id}" if store_id is not None else ""
    if status == "error":
        detail = f"error {(error or '').splitlines()[0] if error else ''}".rstrip()
    elif status == "skipped":
        detail = "skipped (another process holds its lease)"
    else:
        detail = "ok" + "".join(f" {key}={value}" for key, value in counts.items())
    return f"{job}{where}: {detail} ({seconds:.2f} s)"


def demo(
    orders: Annotated[int, typer.Option(min=1, max=100_000, help="How many orders the sandbox shop sells.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    database: Annotated[str | None, typer.Option(
        help="Database URL to run on (kept as it is). Default: HUB_VAR_DIR/demo.db, made fresh each run.")] = None,
    keep: Annotated[bool, typer.Option(help="Add to the default demo database instead of starting fresh.")] = False,
) -> None:
    """The whole flow against in-process sandboxes on a database of its own, then a summary.

    Its own database by default, so the demo's store and suppliers never stay active in the
    database `hub run` uses (where the scheduler would call the demo shop forever).
    """
    import json

    from hub.config import get_settings
    from hub.db.engine import safe_url
    from hub.db.migrate import upgrade
    from hub.services.demo import run_demo

    url = database or _fresh_demo_database(get_settings().ensure_var_dir() / "demo.db", keep=keep)
    hub = build_hub(database_url=url)
    try:
        upgrade(hub.db.engine)
        summary = run_demo(hub, orders)
    finally:
        hub.close()
    where = safe_url(url)
    if as_json:
        print(json.dumps({**summary.as_dict(), "database": where}))
        return
    table = Table("", "", title="hub demo")
    for key, value in summary.as_dict().items():
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    console.print(f"demo database: {where} (look inside with HUB_DATABASE_URL={where} hub orders list; "
                  "your own database was not touched)", highlight=False, soft_wrap=True)


def _fresh_demo_database(path: Path, *, keep: bool) -> str:
    if not keep:
        for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
            (path.parent / name).unlink(missing_ok=True)
    return f"sqlite:///{path.as_posix()}"


sync_app = typer.Typer(help="Stock and prices to the stores.", no_args_is_help=True)


@sync_app.command("push")
def sync_push(store: Annotated[int | None, typer.Option(help="One store (default: every active store).")] = None,
              dry_run: Annotated[bool, typer.Option(help="Only show what would be sent.")] = False) -> None:
    """Push changed stock and prices now (what the jobs do every minute)."""
    from hub.services import store_sync
    from hub.services.stores import active_store_ids

    hub = build_hub()
    try:
        require_store(hub, store)
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
