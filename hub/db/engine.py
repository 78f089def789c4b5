"""Engines and transactions for SQLite (embedded default) and PostgreSQL (production).

SQLite gets WAL, foreign keys, a busy timeout and `BEGIN IMMEDIATE`: a write transaction takes
the write lock when it starts, so two writers queue on the busy timeout instead of failing with
"database is locked" halfway through (SQLite cannot wait on a lock upgrade). A read-only unit
(`Database.read`) begins deferred instead and never touches the write lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import UserError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "hub_read_only"
YIELD_MAX_SECONDS = 0.5  # a chunked writer gives way at most this long between chunks
WAIT_MS = "hub_wait_ms"


def is_database_busy(exc: BaseException) -> bool:
    """True for SQLite's "database is locked/busy": the write lock was not had within the wait."""
    from sqlalchemy.exc import OperationalError

    text = str(getattr(exc, "orig", exc)).lower()
    return isinstance(exc, OperationalError) and ("database is locked" in text or "database is busy" in text)


def safe_url(url: str) -> str:
    """The URL with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.split(":", 1)[0] + "://…"


class DatabaseUrlError(UserError):
    """A database URL the hub cannot use: unparsable, an unknown or async dialect, a driver not installed."""


SUPPORTED = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:5432/DB"


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10, waiting: Waiting | None = None) -> Engine:
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
            return _sqlite_engine(url, waiting or Waiting(), echo=echo)
        kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": pool_size}
        if parsed.get_backend_name() == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": 5}
        engine = create_engine(url, echo=echo, hide_parameters=True, **kwargs)
    except ImportError as exc:
        raise DatabaseUrlError(f"the driver of {parsed.drivername!r} is not installed (Python module "
                               f"{exc.name or '?'}; use {SUPPORTED})") from exc
    # Many rows go in as multi-row INSERTs (pages of 1,000), not one statement per row: each
    # statement fires the ledger_daily trigger once, and one upsert per row of a day made a
    # transaction's cost grow with the square of its rows (100,000 entries: 53 s, now about 2 s).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


class Waiting:
    """How many threads of this process are waiting for SQLite's write lock right now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, delta: int) -> None:
        with self._lock:
            self.count += delta


def _sqlite_engine(url: str, waiting: Waiting, *, echo: bool) -> Engine:
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
        # A read (Database.read) begins deferred: in WAL it reads a snapshot and never takes,
        # nor waits for, the write lock; everything else takes the lock up front, waiting at
        # most its own `wait_ms` (or the default busy timeout) for it.
        options = connection.get_execution_options()
        wait_ms = int(options.get(WAIT_MS, SQLITE_BUSY_TIMEOUT_MS))
        if wait_ms != connection.info.get(WAIT_MS, SQLITE_BUSY_TIMEOUT_MS):
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
            connection.info[WAIT_MS] = wait_ms
        if options.get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        waiting.add(1)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            waiting.add(-1)

    return engine


class Database:
    """An engine and its session factory; `transaction()` is one unit of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.waiting = Waiting()
        self.engine = make_engine(url, echo=echo, waiting=self.waiting)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        # One session factory per wait bound: building an option engine copies its event
        # dispatch, about a millisecond of CPU, too much to spend on every webhook.
        self._bounded: dict[int, tuple[Engine, sessionmaker[Session]]] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self, *, wait_ms: int | None = None) -> Iterator[Session]:
        """Commit on success, roll back on any exception; the caller never calls commit.
        `wait_ms` bounds the wait for SQLite's write lock (then "database is locked" is raised)."""
        with self.transaction_factory(wait_ms).begin() as session:
            yield session

    @contextmanager
    def connection(self, *, wait_ms: int | None = None) -> Iterator[Connection]:
        """A Core transaction, without the ORM session's bookkeeping, for the hottest paths (a
        webhook's few statements); commits on success. Nothing is published after its commit:
        the caller does that (see hub.services.wakeups.publish)."""
        engine = self.engine if wait_ms is None else self._bounded_engine(wait_ms)[0]
        with engine.begin() as connection:
            yield connection

    def transaction_factory(self, wait_ms: int | None) -> sessionmaker[Session]:
        return self.sessions if wait_ms is None else self._bounded_engine(wait_ms)[1]

    def _bounded_engine(self, wait_ms: int) -> tuple[Engine, sessionmaker[Session]]:
        bound = self._bounded.get(wait_ms)
        if bound is None:  # a race builds two equal ones; either will do
            engine = self.engine.execution_options(**{WAIT_MS: wait_ms})
            bound = (engine, sessionmaker(engine, expire_on_commit=False))
            self._bounded[wait_ms] = bound
        return bound

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A unit that only reads: on SQLite it never takes the write lock, so a long write
        elsewhere does not hold it up (and it holds up no writer). Rows read stay usable after."""
        with self._readers.begin() as session:
            yield session

    def yield_to_writers(self, max_wait: float = YIELD_MAX_SECONDS) -> None:
        """Between the chunks of a long write: let the writers of this process that wait for the
        lock have it first. SQLite's busy handler polls (every 100 ms after the first second),
        so a writer that commits and begins again at once would win every time and starve them."""
        deadline = time.monotonic() + max_wait
        while self.waiting.count > 0 and time.monotonic() < deadline:
            time.sleep(0.002)

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()
