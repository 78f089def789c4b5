"""Supplier-order state changes: the claim helper and the database refuse what the table forbids."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from hub.db.engine import Database
from hub.db.migrate import downgrade, upgrade
from hub.domain.supplier_orders import IllegalTransition, State
from hub.services.supplier_orders import claim

AT = "'2026-11-01 00:00:00'"
BEFORE = "a41c9e7f3b28"  # the revision before the CHECK constraint


def _seed(connection: object, state: str = "pending") -> None:
    run = connection.execute  # type: ignore[attr-defined]
    run(text("INSERT INTO stores (id, platform, name, shop_domain, currency, api_version, status, settings,"
             f" created_at, updated_at) VALUES (1, 'shopify', 'S', 's.myshopify.com', 'USD', '2026-10', 'active',"
             f" '{{}}', {AT}, {AT})"))
    run(text("INSERT INTO suppliers (id, code, name, kind, currency, config, lead_time_days, priority, active,"
             f" created_at, updated_at) VALUES (1, 'east', 'East', 'sandbox', 'USD', '{{}}', 5, 1, TRUE, {AT}, {AT})"))
    run(text("INSERT INTO orders (id, store_id, external_id, name, currency, status, financial_status,"
             " fulfillment_status, subtotal_price, total_discounts, total_shipping, total_tax, total_price,"
             " placed_at, remote_updated_at, fingerprint, created_at, updated_at) VALUES"
             f" (1, 1, '1', '#1', 'USD', 'routed', 'paid', 'unfulfilled', 0, 0, 0, 0, 0, {AT}, {AT}, 'f', {AT}, {AT})"))
    run(text("INSERT INTO order_lines (id, order_id, external_id, title, quantity, unit_price, total_discount,"
             " requires_shipping, routing_status) VALUES (1, 1, 'l1', 'Mug', 2, 100, 0, TRUE, 'routed')"))
    run(text("INSERT INTO supplier_orders (id, order_id, supplier_id, attempt, reference, idempotency_key,"
             " state, currency, expected_cost, expected_shipping, place_attempts, created_at, updated_at)"
             f" VALUES (1, 1, 1, 1, 'R1', 'K1', '{state}', 'USD', 0, 0, 0, {AT}, {AT})"))
    run(text("INSERT INTO shipments (id, supplier_order_id, tracking_number, lines, status, shipped_at) VALUES"
             f" (1, 1, 'T1', '[]', 'in_transit', {AT})"))


def _state(db: Database) -> str:
    with db.read() as session:
        return str(session.execute(text("SELECT state FROM supplier_orders WHERE id = 1")).scalar_one())


def test_the_claim_moves_once_and_only_along_the_table(db: Database) -> None:
    with db.transaction() as session:
        _seed(session)
    with db.transaction() as session:
        assert claim(session, 1, State.PLACING, allowed_from=[State.PENDING])
    with db.transaction() as session:  # the second worker loses the same claim
        assert not claim(session, 1, State.PLACING, allowed_from=[State.PENDING])
    with db.transaction() as session:
        assert claim(session, 1, State.ACCEPTED, remote_id="X1")
    with db.transaction() as session:  # accepted → pending is not a move: refused before any SQL
        with pytest.raises(IllegalTransition):
            claim(session, 1, State.PENDING)
        with pytest.raises(IllegalTransition):
            claim(session, 1, State.PLACING, allowed_from=[State.ACCEPTED])
        assert not claim(session, 1, State.FAILED)  # failed comes only from placing: the row stays
    assert _state(db) == "accepted"
    with db.transaction() as session:
        assert claim(session, 1, State.CANCELLED)
        assert not claim(session, 1, State.SHIPPED)  # nothing leaves an end
    assert _state(db) == "cancelled"


def test_the_database_refuses_a_state_outside_the_list(db: Database) -> None:
    with db.transaction() as session:
        _seed(session)
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(text("UPDATE supplier_orders SET state = 'placed' WHERE id = 1"))
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(text("INSERT INTO supplier_orders (id, order_id, supplier_id, attempt, reference,"
                             " idempotency_key, state, currency, expected_cost, expected_shipping, place_attempts,"
                             f" created_at, updated_at) VALUES (2, 1, 1, 2, 'R2', 'K2', 'lost', 'USD', 0, 0, 0,"
                             f" {AT}, {AT})"))
    assert _state(db) == "pending"


def test_the_migration_rebuilds_a_referenced_table_with_its_rows(db_url: str) -> None:
    """Supplier orders with shipments pointing at them: the CHECK arrives, rows and references stay,
    and foreign keys are still enforced afterwards (SQLite turns them off only for the rebuild)."""
    database = Database(db_url)
    try:
        upgrade(database.engine, BEFORE)
        with database.engine.begin() as connection:
            _seed(connection, "accepted")
        upgrade(database.engine)
        with database.engine.begin() as connection:
            assert connection.execute(text("SELECT state FROM supplier_orders")).scalars().all() == ["accepted"]
            assert connection.execute(text("SELECT supplier_order_id FROM shipments")).scalars().all() == [1]
        checks = {c["name"] for c in inspect(database.engine).get_check_constraints("supplier_orders")}
        assert "ck_supplier_orders_state_known" in checks
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(text("UPDATE supplier_orders SET state = 'bogus'"))
        with pytest.raises(IntegrityError), database.engine.begin() as connection:
            connection.execute(text("INSERT INTO shipments (id, supplier_order_id, tracking_number, lines, status,"
                                    f" shipped_at) VALUES (2, 99, 'T2', '[]', 'in_transit', {AT})"))  # no such order
        downgrade(database.engine, BEFORE)
        assert "ck_supplier_orders_state_known" not in {
            c["name"] for c in inspect(database.engine).get_check_constraints("supplier_orders")}
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE supplier_orders SET state = 'placed'"))
    finally:
        database.dispose()
