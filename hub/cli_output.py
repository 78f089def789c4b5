"""How list commands print: a table that is never cut when piped, or CSV, or JSON (`--format`)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

OutputFormat = Literal["table", "csv", "json"]
FormatOption = Annotated[OutputFormat, typer.Option(
    "--format", help="table (for people), csv or json (for scripts and spreadsheets).")]

# Piped or redirected, Rich would assume 80 columns and cut or squeeze cells: give it room instead.
PIPED_WIDTH = 100_000


def cli_console(*, stderr: bool = False) -> Console:
    """A console that wraps to the terminal, and never truncates when its output is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else PIPED_WIDTH)


def emit(console: Console, fmt: OutputFormat, columns: Mapping[str, str], rows: Sequence[Mapping[str, object]],
         *, title: str | None = None) -> None:
    """Rows as a table (columns: key → heading), CSV (keys as header) or a JSON array of objects."""
    keys = list(columns)
    if fmt == "json":
        sys.stdout.write(json.dumps([{key: row.get(key) for key in keys} for row in rows], default=str) + "\n")
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(keys)
        writer.writerows([_text(row.get(key)) for key in keys] for row in rows)
        return
    table = Table(*columns.values(), title=title)
    for row in rows:
        table.add_row(*(_text(row.get(key)) for key in keys))
    console.print(table)


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
