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


def test_lifecycle_is_backfilled_from_each_orders_facts(db_url: str) -> None:
    """Orders that exist before the lifecycle column get the word their facts say, in the migration."""
    from sqlalchemy import text

    at = "'2026-11-01 00:00:00'"
    database = Database(db_url)
    try:
        upgrade(database.engine, "8c2f4b6d1e73")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO stores (id, platform, name, shop_domain, currency, api_version, status, settings,"
                f" created_at, updated_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'USD', '2026-10', 'active',"
                f" '{{}}', {at}, {at})"))
            connection.execute(text(
                "INSERT INTO suppliers (id, code, name, kind, currency, config, lead_time_days, priority, active,"
                f" created_at, updated_at) VALUES (1, 'east', 'East', 'sandbox', 'USD', '{{}}', 5, 1, TRUE,"
                f" {at}, {at})"))
            orders = [  # id, hub status, payment, store fulfillment, cancelled
                (1, "routed", "paid", "unfulfilled", "NULL"), (2, "fulfilled_by_store", "paid", "fulfilled", "NULL"),
                (3, "cancelled", "refunded", "unfulfilled", at), (4, "new", "pending", "unfulfilled", "NULL"),
                (5, "routed", "paid", "unfulfilled", "NULL"), (6, "attention", "paid", "unfulfilled", "NULL")]
            for oid, status, paid, fulfilled, cancelled in orders:
                connection.execute(text(
                    "INSERT INTO orders (id, store_id, external_id, name, currency, status, financial_status,"
                    " fulfillment_status, subtotal_price, total_discounts, total_shipping, total_tax, total_price,"
                    " placed_at, remote_updated_at, cancelled_at, fingerprint, created_at, updated_at) VALUES"
                    f" ({oid}, 1, '{oid}', '#{oid}', 'USD', '{status}', '{paid}', '{fulfilled}', 0, 0, 0, 0, 0,"
                    f" {at}, {at}, {cancelled}, 'f', {at}, {at})"))
                connection.execute(text(
                    "INSERT INTO order_lines (id, order_id, external_id, title, quantity, unit_price, total_discount,"
                    f" requires_shipping, routing_status) VALUES ({oid}, {oid}, 'l{oid}', 'Mug', 2, 100, 0, TRUE,"
                    f" '{'attention' if status == 'attention' else 'routed' if status == 'routed' else 'pending'}')"))
            for oid, state in ((1, "shipped"), (5, "accepted")):
                connection.execute(text(
                    "INSERT INTO supplier_orders (id, order_id, supplier_id, attempt, reference, idempotency_key,"
                    " state, currency, expected_cost, expected_shipping, place_attempts, created_at, updated_at)"
                    f" VALUES ({oid}, {oid}, 1, 1, 'R{oid}', 'K{oid}', '{state}', 'USD', 0, 0, 1, {at}, {at})"))
            connection.execute(text(
                "INSERT INTO shipments (id, supplier_order_id, tracking_number, lines, status, shipped_at) VALUES"
                f" (1, 1, 'T1', '[{{\"order_line_id\": 1, \"quantity\": 2}}]', 'in_transit', {at})"))

        upgrade(database.engine)
        with database.engine.connect() as connection:
            found = dict(connection.execute(text("SELECT id, lifecycle FROM orders ORDER BY id")).all())
        assert found == {1: "shipped", 2: "fulfilled", 3: "cancelled", 4: "received", 5: "placed",
                         6: "needs_attention"}
        downgrade(database.engine, "8c2f4b6d1e73")  # with orders in place
        assert "lifecycle" not in {c["name"] for c in inspect(database.engine).get_columns("orders")}
    finally:
        database.dispose()


def test_ledger_parts_are_backfilled_from_existing_ledger_rows(db_url: str) -> None:
    from sqlalchemy import text

    database = Database(db_url)
    stamp = "'2026-11-01 00:00:00'"
    try:
        upgrade(database.engine, "8c2f4b6d1e73")
        with database.engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO stores (id, platform, name, shop_domain, currency, api_version, status, settings,"
                f" created_at, updated_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'USD', '2026-10', 'active',"
                f" '{{}}', {stamp}, {stamp})"))
            connection.execute(text(
                "INSERT INTO orders (id, store_id, external_id, name, currency, status, financial_status,"
                " fulfillment_status, subtotal_price, total_discounts, total_shipping, total_tax, total_price,"
                f" placed_at, remote_updated_at, fingerprint, created_at, updated_at) VALUES (7, 1, '7', '#7', 'USD',"
                f" 'new', 'paid', 'unfulfilled', 0, 0, 0, 0, 0, {stamp}, {stamp}, 'x', {stamp}, {stamp})"))
            for line_id, sku, price in ((70, "MUG", 300000), (71, "CAP", 100000)):
                connection.execute(text(
                    "INSERT INTO order_lines (id, order_id, external_id, sku, title, quantity, unit_price,"
                    f" total_discount, requires_shipping, routing_status) VALUES ({line_id}, 7, '{line_id}', '{sku}',"
                    f" '{sku.title()}', 1, {price}, 0, TRUE, 'pending')"))
            for n, (ref, kind, line, amount) in enumerate((("l70", "sale", 70, 300000), ("l71", "sale", 71, 100000),
                                                           ("ship", "shipping", None, 40100))):
                connection.execute(text(
                    "INSERT INTO ledger_entries (id, source_ref, kind, store_id, order_id, order_line_id, amount,"
                    " currency, estimated, occurred_at, booked_on, created_at) VALUES (:id, :ref, :kind, 1, 7, :line,"
                    f" :amount, 'USD', FALSE, {stamp}, '2026-11-01', {stamp})"),
                    {"id": n + 1, "ref": ref, "kind": kind, "line": line, "amount": amount})
        upgrade(database.engine)
        with database.engine.connect() as connection:
            parts = connection.execute(text("SELECT product, SUM(amount) FROM ledger_parts GROUP BY product"
                                            " ORDER BY product")).all()
            daily = connection.execute(text("SELECT product, revenue, incomplete FROM ledger_part_daily"
                                            " ORDER BY product")).all()
        # Shipping 4.01 by goods revenue 3:1 → 3.01 / 1.00 (largest remainder); lines not routed.
        assert [(p, int(a)) for p, a in parts] == [("CAP", 110000), ("MUG", 330100)]
        assert [(p, int(r), bool(i)) for p, r, i in daily] == [("CAP", 110000, True), ("MUG", 330100, True)]
    finally:
        database.dispose()
