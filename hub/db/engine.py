"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

SQLite gets WAL, foreign keys, a busy timeout and `BEGIN IMMEDIATE`: a write transaction takes
the write lock when it starts, so two writers queue on the busy timeout instead of failing with
"database is locked" halfway through (SQLite cannot wait on a lock upgrade).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import UserError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + "://…"


class DatabaseUrlError(UserError):
    """A database URL the hub cannot use: unparsable, an unknown or async dialect, a driver not installed."""


SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:5432/DB"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> Engine:
    """An engine that never logs SQL parameters: they can carry a customer's name, e-mail and address."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"not a valid database URL: {safe_url(url)} (use {SUPPORTED})") from exc
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError as exc:
        raise DatabaseUrlError(f"unknown database kind {parsed.drivername!r} (use {SUPPORTED})") from exc
    if getattr(dialect, "is_async", False):
        raise DatabaseUrlError(f"the async driver {parsed.drivername!r} is not supported (use {SUPPORTED})")
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(url, echo=echo)
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": pool_size}
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5}
        return create_engine(url, echo=echo, hide_parameters=True, **kwargs)
    except ImportError as exc:
        raise DatabaseUrlError(f"the driver of {parsed.drivername!r} is not installed (Python module "
                               f"{exc.name or '?'}; use {SUPPORTED})") from exc


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUrlError(f"cannot create the folder of {database}: {exc.strerror or exc}") from exc
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine and its session factory; `transaction()` is one unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on any exception; the caller never calls commit."""
        with self.sessions.begin() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
