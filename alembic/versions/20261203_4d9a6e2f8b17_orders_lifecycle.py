"""orders.lifecycle: one word a person reads per order, indexed for filtering and counting

Backfilled in batches of orders by id: the facts are read with plain SQL (this file does not
depend on the models as they will be later) and the word is decided by the pure
`hub.domain.lifecycle.derive`, the same function the services use from now on.

Revision ID: 4d9a6e2f8b17
Revises: 8c2f4b6d1e73
Create Date: 2026-12-03 13:10:00.000000
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from hub.domain.lifecycle import LineFacts, OrderFacts, derive

revision: str = '4d9a6e2f8b17'
down_revision: str | Sequence[str] | None = '8c2f4b6d1e73'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lifecycle', sa.String(length=20), server_default='received', nullable=False))
        batch_op.create_index(batch_op.f('ix_orders_lifecycle_id'), ['lifecycle', 'id'], unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    # Not a batch: on SQLite a batch copies the table, which foreign keys to orders forbid once
    # orders exist; SQLite (3.35+) and PostgreSQL both drop a column in place.
    op.drop_index(op.f('ix_orders_lifecycle_id'), table_name='orders')
    op.drop_column('orders', 'lifecycle')


def _backfill(bind: sa.Connection) -> None:
    after = 0
    while True:
        orders = bind.execute(sa.text(
            "SELECT id, status, financial_status, fulfillment_status, cancelled_at FROM orders "
            "WHERE id > :after ORDER BY id LIMIT :batch"), {"after": after, "batch": BATCH}).all()
        if not orders:
            return
        low, high = orders[0][0], orders[-1][0]
        span = {"low": low, "high": high}
        states: dict[int, list[str]] = defaultdict(list)
        for order_id, state in bind.execute(sa.text(
                "SELECT order_id, state FROM supplier_orders WHERE order_id BETWEEN :low AND :high"), span):
            states[order_id].append(state)
        shipped: dict[int, int] = defaultdict(int)
        parcels: dict[int, list[bool]] = defaultdict(list)
        for order_id, items, fulfillment_id in bind.execute(sa.text(
                "SELECT so.order_id, s.lines, s.remote_fulfillment_id FROM shipments s "
                "JOIN supplier_orders so ON so.id = s.supplier_order_id "
                "WHERE so.order_id BETWEEN :low AND :high"), span):
            parcels[order_id].append(fulfillment_id is not None)
            for item in _json(items):
                if item.get("order_line_id") is not None:
                    shipped[int(item["order_line_id"])] += int(item.get("quantity") or 0)
        lines: dict[int, list[LineFacts]] = defaultdict(list)
        for order_id, line_id, quantity, routing_status, requires_shipping in bind.execute(sa.text(
                "SELECT order_id, id, quantity, routing_status, requires_shipping FROM order_lines "
                "WHERE order_id BETWEEN :low AND :high"), span):
            lines[order_id].append(LineFacts(quantity, routing_status, bool(requires_shipping),
                                             shipped.get(line_id, 0)))
        moves: dict[str, list[int]] = defaultdict(list)
        for order_id, status, financial, fulfillment, cancelled_at in orders:
            value = derive(OrderFacts(hub_status=status, financial_status=financial, fulfillment_status=fulfillment,
                                      cancelled=cancelled_at is not None, lines=tuple(lines[order_id]),
                                      supplier_orders=tuple(states[order_id]), parcels=len(parcels[order_id]),
                                      parcels_fulfilled=sum(parcels[order_id]))).value
            if value != "received":
                moves[value].append(order_id)
        for value, ids in moves.items():
            bind.execute(sa.text("UPDATE orders SET lifecycle = :value WHERE id IN :ids")
                         .bindparams(sa.bindparam("ids", expanding=True)), {"value": value, "ids": ids})
        after = high


def _json(value: Any) -> list[dict[str, Any]]:
    """JSON columns come back parsed on PostgreSQL, as text on SQLite through plain SQL."""
    if value is None:
        return []
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    return parsed if isinstance(parsed, list) else []
