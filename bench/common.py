"""Shared helpers of the benchmarks: temporary databases on SQLite and PostgreSQL, timing, memory."""

from __future__ import annotations

import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.db.engine import Database
from hub.db.migrate import upgrade

POSTGRES_ADMIN = os.environ.get("HUB_TEST_POSTGRES_URL",
                                "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def temp_database(backend: str) -> Iterator[Database | None]:
    """A migrated empty database, or None when that backend is not reachable (reported, not fatal)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
            upgrade(database.engine)
            try:
                yield database
            finally:
                database.dispose()
        return
    name = f"hub_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"  PostgreSQL not reachable ({type(exc).__name__}): skipped")
        yield None
        return
    database = Database(make_url(POSTGRES_ADMIN).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = time.perf_counter() - self.start


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
