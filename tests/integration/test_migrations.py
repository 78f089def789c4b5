"""The migrations build exactly the models' schema, and tear it down again, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from hub.db.engine import Database
from hub.db.migrate import current_revision, downgrade, head_revision, upgrade
from hub.db.models import Base


def test_upgrade_matches_models_and_downgrade_empties(db_url: str) -> None:
    database = Database(db_url)
    try:
        upgrade(database.engine)
        assert current_revision(database.engine) == head_revision(database.engine)
        tables = set(inspect(database.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables

        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            differences = compare_metadata(context, Base.metadata)
        assert differences == []

        downgrade(database.engine, "base")
        remaining = set(inspect(database.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        assert current_revision(database.engine) is None
    finally:
        database.dispose()
