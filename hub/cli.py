"""The `hub` command. User mistakes end as one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from connectors.http import ConnectorError
from hub import (
    __version__,
    cli_attention,
    cli_expenses,
    cli_money,
    cli_ops,
    cli_orders,
    cli_shipments,
    cli_stores,
    cli_webhooks,
    cli_workers,
)
from hub.cli_output import cli_console
from hub.config import get_settings, settings_error_message
from hub.db.engine import Database, DatabaseUrlError, safe_url
from hub.errors import UserError
from hub.logs import configure_logging

logger = logging.getLogger(__name__)
console = cli_console()
err_console = cli_console(stderr=True)

app = typer.Typer(help="The hub: dropshipping integration hub.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(cli_orders.app, name="orders")
app.add_typer(cli_stores.app, name="store")
app.add_typer(cli_ops.map_app, name="map")
app.add_typer(cli_ops.jobs_app, name="jobs")
app.add_typer(cli_shipments.app, name="shipments")
app.add_typer(cli_webhooks.app, name="webhooks")
app.command("demo")(cli_ops.demo)
app.command("worker")(cli_workers.worker)
app.command("scheduler")(cli_workers.scheduler)
app.add_typer(cli_ops.sync_app, name="sync")
app.add_typer(cli_money.fx_app, name="fx")
app.add_typer(cli_money.report_app, name="report")
app.add_typer(cli_expenses.app, name="expenses")
app.add_typer(cli_attention.app, name="attention")
cli_money.report_app.command("summary")(cli_expenses.report_summary)
app.add_typer(cli_money.ledger_app, name="ledger")


def _register_subcommands() -> None:
    from hub.cli_feeds import feed_app
    from hub.cli_suppliers import supplier_app

    app.add_typer(supplier_app, name="supplier")
    app.add_typer(feed_app, name="feed")


def _database() -> Database:
    settings = get_settings()
    if not settings.database_url:
        settings.ensure_var_dir()
    try:
        return Database(settings.resolved_database_url)
    except DatabaseUrlError as exc:
        raise UserError(f"HUB_DATABASE_URL: {exc}") from exc


@app.command()
def version() -> None:
    """Print the hub's version."""
    console.print(f"hub {__version__}")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Upgrade the database schema (creates the database file on SQLite)."""
    from alembic.util.exc import CommandError

    from hub.db.migrate import current_revision, upgrade

    database = _database()
    try:
        try:
            upgrade(database.engine, revision)
        except CommandError as exc:  # an unknown or ambiguous revision: alembic's reason, one line
            raise UserError(f"REVISION {revision!r}: {str(exc).splitlines()[0]} (see 'hub db current'; "
                            "'head' is the newest)") from exc
        console.print(f"database at {current_revision(database.engine)} ({safe_url(database.url)})")
    finally:
        database.dispose()


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from hub.db.migrate import current_revision, head_revision

    database = _database()
    try:
        current, head = current_revision(database.engine), head_revision(database.engine)
        state = "up to date" if current == head else f"behind (head is {head}; run 'hub db upgrade')"
        console.print(f"{current or 'empty'}: {state}")
    finally:
        database.dispose()


_register_subcommands()


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
    scheduler: Annotated[bool, typer.Option(help="Run the job scheduler in this process.")] = True,
    sandbox: Annotated[bool, typer.Option(help="Mount the emulated Shopify shop and connect it as a store.")] = False,
) -> None:
    """Serve the API and dashboard and run the scheduler, in one process (with HUB_BROKER_URL: the API only)."""
    from hub.server import serve

    serve(host=host, port=port, with_scheduler=scheduler, sandbox=sandbox)


def _reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    return first_line


def _database_location(url: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "an unparsable URL"
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite file {parsed.database}"
    return f"{parsed.host or 'localhost'}:{parsed.port or 'default port'}"


def main() -> None:
    """Console entry point: maps failures a user can fix to one line and exit 2."""
    try:
        settings = get_settings()
    except ValidationError as exc:  # a bad HUB_* variable: name it, say what it must be
        err_console.print(f"error: {settings_error_message(exc)}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)
    # Commands talk to the user on the console; the log says only what went wrong (hub run re-configures).
    configure_logging("WARNING" if settings.log_level == "INFO" else settings.log_level, settings.log_format)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except ConnectorError as exc:  # a store or supplier out of reach: say which, no traceback
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        _database_failure(exc, settings.resolved_database_url)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: click's message on one line, and its exit code (2)
        err_console.print(f"error: {_usage_message(exc)}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    if isinstance(code, int) and code:
        sys.exit(code)


def _database_failure(exc: SQLAlchemyError, url: str) -> None:
    """One line for a database failure: no schema yet, out of reach, or the database's own reason."""
    reason = _reason(exc)
    if "no such table" in reason or ("relation" in reason and "does not exist" in reason):
        err_console.print(f"error: the database at {_database_location(url)} has no schema (or an old one): "
                          "run 'hub db upgrade'", highlight=False, soft_wrap=True)
        sys.exit(2)
    if isinstance(exc, OperationalError):
        password = make_url(url).password if "://" in url else None
        message = f"error: cannot reach the database at {_database_location(url)}: {reason}"
        if password:
            message = message.replace(str(password), "***")
        err_console.print(message, highlight=False, soft_wrap=True)
        sys.exit(2)
    err_console.print(f"error: database error: {reason}", highlight=False, soft_wrap=True)
    sys.exit(2)


def _usage_message(exc: Exception) -> str:
    """Click's reason ("Invalid value for '--status': 'x' is not one of …") and where help is."""
    format_message = getattr(exc, "format_message", None)
    message = str(format_message() if callable(format_message) else exc).replace("Value error, ", "")
    context = getattr(exc, "ctx", None)
    path = getattr(context, "command_path", None)
    if isinstance(path, str) and path:
        message += f" (see '{path.replace('python -m hub', 'hub')} --help')"
    return " ".join(message.split())
