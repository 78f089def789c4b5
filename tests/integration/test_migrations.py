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


def test_ledger_refs_of_storefront_facts_gain_their_store_and_lose_it_on_downgrade(db_url: str) -> None:
    from sqlalchemy import text

    database = Database(db_url)
    try:
        upgrade(database.engine, "91ea8a9fe928")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO stores (id, platform, name, shop_domain, currency, api_version, status, settings,"
                " created_at, updated_at) VALUES (42, 'shopify', 'S', 's.myshopify.com', 'USD', '2026-10', 'active',"
                " '{}', '2026-11-01 00:00:00', '2026-11-01 00:00:00')"))
            for ref in ("txn:1001:fee:9", "balance:77:chargeback", "order:5:shipping"):
                connection.execute(text(
                    "INSERT INTO ledger_entries (source_ref, kind, store_id, amount, currency, estimated,"
                    " occurred_at, booked_on, created_at) VALUES (:ref, 'payment_fee', 42, -10000, 'USD', FALSE,"
                    " '2026-11-01 00:00:00', '2026-11-01', '2026-11-01 00:00:00')"), {"ref": ref})

        def refs() -> list[str]:
            with database.engine.connect() as connection:
                return sorted(connection.execute(text("SELECT source_ref FROM ledger_entries")).scalars())

        upgrade(database.engine)
        assert refs() == ["balance:42:77:chargeback", "order:5:shipping", "txn:42:1001:fee:9"]
        downgrade(database.engine, "91ea8a9fe928")
        assert refs() == ["balance:77:chargeback", "order:5:shipping", "txn:1001:fee:9"]
    finally:
        database.dispose()
