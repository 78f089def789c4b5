"""Shared fixtures: a fresh migrated database per test on SQLite, and on PostgreSQL when
HUB_TEST_POSTGRES_URL is set (a uniquely named database is created and dropped afterwards).

When CI=true a missing PostgreSQL fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"
BACKENDS = ["sqlite", "postgresql"]


def shared_path(*parts: str) -> Path:
    """A file of ../shared (real test data), or skip with the reason when that folder is absent."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared test data is absent ({path} not found)")
    return path


def _postgres_admin_url() -> str | None:
    return os.environ.get("HUB_TEST_POSTGRES_URL") or None


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
    pytest.skip(reason)


def _create_postgres_database() -> tuple[str, str]:
    admin_url = _postgres_admin_url()
    if admin_url is None:
        _missing("HUB_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped")
        raise AssertionError("unreachable")
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A test database needs no crash durability: commits stop waiting for the WAL flush
            # (0.9 ms → 0.15 ms each here), which the many-transaction end-to-end tests feel.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:
        _missing(f"PostgreSQL at {make_url(admin_url).host} is not reachable: {type(exc).__name__}")
    finally:
        admin.dispose()
    return admin_url, make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    admin_url, url = _create_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(admin_url, url)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head per test session (per xdist worker); tests get copies."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    database.dispose()  # the last connection to close folds the WAL into the file
    assert not path.with_name("hub.db-wal").exists(), "the template's WAL was not checkpointed"
    return path


class _PostgresTemplate:
    """A database migrated to head once per test session; each test's database is a copy of it
    (CREATE DATABASE … TEMPLATE, a file copy on the server) instead of running every migration."""

    def __init__(self) -> None:
        self.admin_url: str | None = None
        self.name: str | None = None
        self.reused: str | None = None  # this worker's test database, emptied between tests
        self.empty_it: list[str] = []

    def copy(self) -> tuple[str, str]:
        if self.name is None:
            admin_url, url = _create_postgres_database()
            database = Database(url)
            upgrade(database.engine)
            database.dispose()
            self.admin_url, self.name = admin_url, make_url(url).database
        assert self.admin_url is not None
        name = f"hub_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                # FILE_COPY: on PostgreSQL 15+ the default (WAL_LOG) writes every page of the
                # template into the WAL: 309 ms a copy and 757 ms to drop it, against 87 and 53 ms
                # here, for each of the suite's several hundred PostgreSQL tests.
                newer = int(conn.execute(text("SHOW server_version_num")).scalar_one()) >= 150000
                strategy = " STRATEGY = FILE_COPY" if newer else ""
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"{strategy}'))
                conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        finally:
            admin.dispose()
        return self.admin_url, make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> tuple[str, str]:
        """This worker's test database, as empty as a new copy of the template.

        A copy per test cost 0.6–1.3 s and its drop 0.45 s on this machine under the suite's load
        (FILE_COPY checkpoints; fsync), for each of several hundred tests. The template holds no
        rows (checked), so emptying every table and restarting every sequence gives the same state:
        without triggers or foreign-key checks (`session_replication_role = replica`), 30–60 ms.
        Connections a test left behind (killed subprocesses) are ended first."""
        if self.reused is None:
            admin_url, url = self.copy()
            self.reused = url
            self.empty_it = self._emptying_statements(url)
            return admin_url, url
        assert self.admin_url is not None
        name = make_url(self.reused).database
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        finally:
            admin.dispose()
        engine = create_engine(self.reused)
        try:
            with engine.begin() as conn:
                for statement in self.empty_it:
                    conn.execute(text(statement))
        finally:
            engine.dispose()
        return self.admin_url, self.reused

    @staticmethod
    def _emptying_statements(url: str) -> list[str]:
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                tables = conn.execute(text(
                    "SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' "
                    "AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'")).scalars().all()
                sequences = conn.execute(text("SELECT quote_ident(sequence_name) FROM information_schema.sequences "
                                              "WHERE sequence_schema = 'public'")).scalars().all()
                for table in tables:
                    assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0, (
                        f"the migrated template holds rows in {table}: a test database must be a copy")
        finally:
            engine.dispose()
        return (["SET LOCAL session_replication_role = replica"] + [f"DELETE FROM {t}" for t in tables]
                + [f"SELECT setval('{q}', 1, false)" for q in sequences])

    def drop(self) -> None:
        if self.admin_url is not None and self.reused is not None:
            _drop_postgres_database(self.admin_url, self.reused)
        if self.admin_url is not None and self.name is not None:
            _drop_postgres_database(self.admin_url, make_url(self.admin_url).set(database=self.name)
                                    .render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[_PostgresTemplate]:
    template = _PostgresTemplate()
    try:
        yield template
    finally:
        template.drop()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to head, on each backend: a copy of the session's migrated template
    (on PostgreSQL one copy per worker, emptied between tests: see _PostgresTemplate.fresh)."""
    if request.param == "sqlite":
        database = _sqlite_copy(request, tmp_path)
        try:
            yield database
        finally:
            database.dispose()
        return
    template: _PostgresTemplate = request.getfixturevalue("_postgres_template")
    _, url = template.fresh()
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


def _sqlite_copy(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    template: Path = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "hub.db"
    shutil.copyfile(template, target)
    return Database(f"sqlite:///{target}")


@pytest.fixture
def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database, for tests whose subject is not the backend."""
    database = _sqlite_copy(request, tmp_path)
    try:
        yield database
    finally:
        database.dispose()


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and .env file."""
    values: dict[str, object] = {"var_dir": tmp_path / "var", "admin_token": ADMIN_TOKEN}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


ADMIN_TOKEN = "test-admin-token"
# What a browser sends with a form post of our own pages (hub.api.csrf refuses a post without it).
SAME_SITE = {"Origin": "http://testserver"}


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Hub:
    """A Hub on the migrated database of each backend."""
    settings = make_settings(tmp_path)
    return Hub(settings=settings, db=db, cipher=TokenCipher(settings.fernet_key()))


@pytest.fixture
def sqlite_hub(sqlite_db: Database, tmp_path: Path) -> Hub:
    settings = make_settings(tmp_path)
    return Hub(settings=settings, db=sqlite_db, cipher=TokenCipher(settings.fernet_key()))


@pytest.fixture(autouse=True)
def _fresh_shopify_budgets() -> Iterator[None]:
    """Each test meets a fresh sandbox shop: forget what earlier tests learned of its cost bucket."""
    from connectors.shopify import budget

    with budget._registry_lock:
        budget._registry.clear()
    yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long end-to-end tests first: with pytest-xdist they then start on different workers at
    once, instead of one of them starting last and keeping the run going alone."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
