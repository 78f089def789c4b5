"""supplier_orders.state: a CHECK constraint listing the states of hub.domain.supplier_orders

The list is written out here (not imported) so this revision keeps meaning what it meant.
On SQLite the constraint needs the table rebuilt (batch mode). supplier_orders has no triggers
to lose (verified: the triggers are on ledger_entries, ledger_parts and orders, none reads it), but shipments,
supplier_order_lines and ledger_entries point at it: with foreign keys on, SQLite refuses to drop
a referenced table, and the pragma only changes outside a transaction. So the rebuild commits
what came before, turns foreign keys off, rebuilds, checks every reference still holds
(`PRAGMA foreign_key_check`), and turns them on again before the next transaction.

Revision ID: 9d4e1b7c3a52
Revises: a41c9e7f3b28
Create Date: 2026-12-03 14:10:00.000000
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = '9d4e1b7c3a52'
down_revision: str | Sequence[str] | None = 'a41c9e7f3b28'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = ('pending', 'placing', 'accepted', 'shipped', 'delivered', 'failed', 'cancelled')
NAME = 'ck_supplier_orders_state_known'


def upgrade() -> None:
    unknown = op.get_bind().execute(sa.text(
        "SELECT DISTINCT state FROM supplier_orders WHERE state NOT IN :states")
        .bindparams(sa.bindparam('states', expanding=True)), {'states': list(STATES)}).scalars().all()
    if unknown:
        raise RuntimeError(f"supplier_orders has states outside the list: {sorted(unknown)}; fix them first")
    _alter(lambda batch: batch.create_check_constraint(
        op.f(NAME), "state IN (" + ", ".join(f"'{state}'" for state in STATES) + ")"))


def downgrade() -> None:
    _alter(lambda batch: batch.drop_constraint(op.f(NAME), type_='check'))


def _alter(change: Callable[[BatchOperations], None]) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    if sqlite:
        bind.exec_driver_sql('COMMIT')
        bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
        bind.exec_driver_sql('BEGIN IMMEDIATE')
    try:
        with op.batch_alter_table('supplier_orders') as batch:
            change(batch)
        if sqlite:
            broken = bind.exec_driver_sql('PRAGMA foreign_key_check').all()
            if broken:
                raise RuntimeError(f"references broken by the rebuild of supplier_orders: {broken[:5]}")
    except BaseException:
        if sqlite:
            bind.exec_driver_sql('ROLLBACK')
            _foreign_keys_on(bind)
        raise
    if sqlite:
        bind.exec_driver_sql('COMMIT')
        _foreign_keys_on(bind)


def _foreign_keys_on(bind: sa.Connection) -> None:
    bind.exec_driver_sql('PRAGMA foreign_keys=ON')
    bind.exec_driver_sql('BEGIN IMMEDIATE')  # the transaction Alembic goes on to stamp and commit
