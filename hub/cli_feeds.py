"""`hub feed …`: import a feed file, list and show runs, confirm or discard a suspect run.

Exit codes of `hub feed import`: 0 applied (rejects listed), 3 held as suspect, 2 usage error,
unreadable file, or a feed larger than `HUB_FEED_MAX_BYTES` once decompressed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, BinaryIO, Literal

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from hub.cli_checks import require_supplier
from hub.cli_output import FormatOption, cli_console, emit
from hub.cli_suppliers import cli_hub, when
from hub.errors import UserError
from hub.services import feed_runs, feeds
from hub.services.feed_runs import ImportSummary

console = cli_console()
feed_app = typer.Typer(help="Supplier feeds: import, runs, confirm or discard suspect runs.", no_args_is_help=True)

FeedFormat = Literal["auto", "csv", "gmc-xml", "gmc-tsv", "json", "jsonl"]  # auto + feeds.FORMATS (tested)
FeedMode = Literal["full", "delta"]  # = hub.services.feeds.MODES (tested)
EXIT_SUSPECT = 3
SHOWN_REJECTS = 20


class _Counting:
    """A binary file that reports how many bytes were read (for the progress bar)."""

    def __init__(self, handle: BinaryIO, progress: Progress, task: Any) -> None:
        self._handle, self._progress, self._task = handle, progress, task

    def read(self, size: int = -1, /) -> bytes:
        data = self._handle.read(size)
        self._progress.update(self._task, completed=self._handle.tell())
        return data

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()


def _print_rejects(errors: list[dict[str, Any]], total: int, run_id: int) -> None:
    if not errors:
        return
    table = Table("line", "field", "SKU", "reason", title="rejected rows")
    for error in errors[:SHOWN_REJECTS]:
        table.add_row(str(error["line"]), error["field"] or "-", error.get("sku") or "-", error["reason"])
    console.print(table)
    if total > SHOWN_REJECTS:
        console.print(f"… {total - SHOWN_REJECTS} more: hub feed show {run_id}", highlight=False)


def _print_summary(summary: ImportSummary) -> None:
    table = Table("feed run", "status", "rows", "accepted", "rejected", "changed", title="feed import")
    table.add_row(str(summary.feed_run_id), summary.status, str(summary.rows), str(summary.accepted),
                  str(summary.rejected), str(summary.changed))
    console.print(table)
    _print_rejects(summary.errors, summary.rejected, summary.feed_run_id)
    if summary.message:
        console.print(summary.message, highlight=False)
    if summary.status == "suspect":
        console.print(f"confirm with 'hub feed confirm {summary.feed_run_id}' or drop it with "
                      f"'hub feed discard {summary.feed_run_id}'", highlight=False)


def _exit_for(summary: ImportSummary) -> None:
    if summary.status == "suspect":
        raise typer.Exit(EXIT_SUSPECT)


@feed_app.command("import")
def import_(
    code: Annotated[str, typer.Argument(help="Supplier code.")],
    file: Annotated[Path, typer.Argument(help="Feed file (plain or gzip).")],
    format: Annotated[FeedFormat, typer.Option(help="The file's format (auto: detected).")] = "auto",
    mode: Annotated[FeedMode, typer.Option(help="full: offers missing from the feed go out of stock; delta: only "
                                                "the listed SKUs change.")] = "full",
    force: Annotated[bool, typer.Option(help="Apply even when the truncation guard would hold it.")] = False,
) -> None:
    """Import a supplier feed file."""
    try:
        handle = file.open("rb")
        size = file.stat().st_size
    except OSError as exc:
        raise UserError(f"cannot read {file}: {exc.strerror or exc}") from exc
    with handle, cli_hub() as hub:
        require_supplier(hub, code)
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task(f"importing {file.name}", total=size)
            summary = feeds.import_feed(hub, code, _Counting(handle, progress, task),
                                        mode=mode, fmt=format, source="cli", force=force)
    _print_summary(summary)
    _exit_for(summary)


@feed_app.command("runs")
def runs(
    code: Annotated[str, typer.Argument(help="Supplier code.")],
    limit: Annotated[int, typer.Option(min=1, help="How many of the latest runs.")] = 20,
    output: FormatOption = "table",
) -> None:
    """List a supplier's latest feed runs."""
    with cli_hub() as hub:
        require_supplier(hub, code)
        views = feed_runs.list_runs(hub.db, code, limit + 1)  # one more: is there anything older?
    rows = [{"id": r.id, "started": r.started_at.strftime("%Y-%m-%d %H:%M:%S"), "mode": r.mode, "format": r.format,
             "status": r.status, "rows": r.rows, "accepted": r.accepted, "rejected": r.rejected,
             "changed": r.changed} for r in views[:limit]]
    emit(console, output, {"id": "id", "started": "started (UTC)", "mode": "mode", "format": "format",
                           "status": "status", "rows": "rows", "accepted": "accepted", "rejected": "rejected",
                           "changed": "changed"}, rows, title=f"feed runs of {code}")
    if output == "table" and len(views) > limit:
        console.print(f"showing the latest {limit}; older runs: --limit {limit * 2}", highlight=False)


@feed_app.command("show")
def show(
    run_id: Annotated[int, typer.Argument(help="Feed run id.")],
    rejects: Annotated[int, typer.Option(help="How many rejects to list.")] = 100,
) -> None:
    """Show a feed run and its rejected rows."""
    with cli_hub() as hub:
        run, errors, total = feed_runs.get_run(hub.db, run_id, limit=max(rejects, 1))
    table = Table("feed run", "supplier", "started", "source", "mode", "format", "status", "rows", "accepted",
                  "rejected", "changed")
    table.add_row(str(run.id), run.supplier_code, when(run.started_at), run.source, run.mode, run.format,
                  run.status, str(run.rows), str(run.accepted), str(run.rejected), str(run.changed))
    console.print(table)
    if run.error:
        console.print(run.error, highlight=False)
    shown = errors[:rejects]
    if shown:
        table = Table("line", "field", "SKU", "reason", title=f"rejected rows ({total})")
        for e in shown:
            table.add_row(str(e["line"]), e["field"] or "-", e["sku"] or "-", e["reason"])
        console.print(table)


@feed_app.command("confirm")
def confirm(run_id: Annotated[int, typer.Argument(help="Id of a suspect feed run.")]) -> None:
    """Apply a feed run held as suspect by the truncation guard."""
    with cli_hub() as hub:
        summary = feeds.confirm_run(hub, run_id)
    _print_summary(summary)


@feed_app.command("discard")
def discard(run_id: Annotated[int, typer.Argument(help="Id of a suspect feed run.")]) -> None:
    """Drop a feed run held as suspect: nothing of it is applied."""
    with cli_hub() as hub:
        summary = feeds.discard_run(hub, run_id)
    console.print(f"feed run {summary.feed_run_id} discarded: nothing applied")
