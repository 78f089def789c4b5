"""ledger_parts: every money fact allocated to order lines and suppliers; ledger_part_daily

Profit by product, supplier and store needs each order-level fact (shipping charged, discount,
fees, refunds, chargebacks) on the order's lines and each supplier order's cost and shipping on
its lines (`hub.domain.allocation`). `ledger_parts` stores those parts, written by the ledger
writer with the entries; `ledger_part_daily` sums them per day, store, currency, product,
supplier and flags and `ledger_supplier_daily` the same without the product (what periods, stores
and suppliers read), both kept by triggers (statement-level over transition tables on PostgreSQL, as
8c2f4b6d1e73 does for ledger_daily; row triggers on SQLite).

The backfill allocates every existing order's ledger rows (`hub.services.allocation.reallocate_all`,
the same code the writer runs); `hub ledger reallocate` does it again at any time.

Revision ID: a41c9e7f3b28
Revises: 6a3b8d2e5f14
Create Date: 2026-12-03 13:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = 'a41c9e7f3b28'
down_revision: str | Sequence[str] | None = '6a3b8d2e5f14'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

# The profit buckets of hub.domain.ledger.PROFIT_BUCKETS as of this revision (tax is in none).
_BUCKETS = {
    "revenue": ("sale", "discount", "shipping"),
    "refunds": ("refund", "refund_shipping", "chargeback"),
    "fees": ("payment_fee",),
    "supplier_cost": ("supplier_cost",),
    "shipping_cost": ("supplier_shipping",),
    "fx": ("fx_difference",),
}
_ALL_KINDS = ", ".join(f"'{kind}'" for kinds in _BUCKETS.values() for kind in kinds)
_COLUMNS = ", ".join(_BUCKETS)


class _Summary:
    """A summary of ledger_parts kept by triggers: its table, key and whether it keeps the label.
    (A plain class: Alembic loads this module outside sys.modules, where dataclasses fail.)"""

    def __init__(self, table: str, key: tuple[str, ...], label: bool) -> None:
        self.table, self.key, self.label = table, key, label

    @property
    def keys(self) -> str:
        return ", ".join(self.key)

    def on_conflict(self) -> str:
        sets = ["label = excluded.label"] if self.label else []
        sets += [f"{name} = {self.table}.{name} + excluded.{name}" for name in ("parts", *_BUCKETS)]
        return f"ON CONFLICT ({self.keys}) DO UPDATE SET " + ", ".join(sets)

    def columns(self) -> str:
        return f"{self.keys}, {'label, ' if self.label else ''}parts, {_COLUMNS}"

    def statement_apply(self, rows: str) -> str:
        sums = ", ".join(f"SUM({name})" for name in _BUCKETS)
        label = "MAX(label), " if self.label else ""
        return (f"INSERT INTO {self.table} ({self.columns()}) SELECT {self.keys}, {label}SUM(parts), {sums} "
                f"FROM ({rows}) AS moved GROUP BY {self.keys} {self.on_conflict()};")

    def rows(self, source: str, sign: str) -> str:
        buckets = ", ".join(f"{_bucket(name, sign)} AS {name}" for name in _BUCKETS)
        return (f"SELECT {self.keys}, {'label, ' if self.label else ''}{sign}1 AS parts, {buckets} "
                f"FROM {source} WHERE kind IN ({_ALL_KINDS})")

    def statement_triggers(self) -> list[tuple[str, str, str, str]]:
        """(trigger, event, transition tables, rows moved into the summary)"""
        name = self.table
        return [(f"{name}_ins", "INSERT", "NEW TABLE AS new_rows", self.rows("new_rows", "")),
                (f"{name}_del", "DELETE", "OLD TABLE AS old_rows", self.rows("old_rows", "-")),
                (f"{name}_upd", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                 f"{self.rows('new_rows', '')} UNION ALL {self.rows('old_rows', '-')}")]

    def row_upsert(self, row: str, sign: str) -> str:
        keys = ", ".join(f"{row}.{key}" for key in self.key)
        label = f"{row}.label, " if self.label else ""
        buckets = ", ".join(_bucket(name, sign, f"{row}.") for name in _BUCKETS)
        return (f"INSERT INTO {self.table} ({self.columns()}) SELECT {keys}, {label}{sign}1, {buckets} "
                f"WHERE {row}.kind IN ({_ALL_KINDS}) {self.on_conflict()};")


def _bucket(name: str, sign: str, row: str = "") -> str:
    kinds = ", ".join(f"'{kind}'" for kind in _BUCKETS[name])
    return f"CASE WHEN {row}kind IN ({kinds}) THEN {sign}{row}amount ELSE 0 END"


_SUMMARIES = (
    _Summary("ledger_part_daily",
             ("booked_on", "store_id", "currency", "product", "supplier_id", "estimated", "incomplete"), True),
    _Summary("ledger_supplier_daily", ("booked_on", "store_id", "currency", "supplier_id", "estimated", "incomplete"),
             False),
)


def _summary_columns() -> list[sa.Column[Any]]:
    return [sa.Column('parts', sa.Integer(), nullable=False),
            *(sa.Column(name, hub.db.types.Money(), nullable=False) for name in _BUCKETS)]


def upgrade() -> None:
    op.create_table('ledger_parts',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('entry_id', BigId, nullable=False),
    sa.Column('order_id', BigId, nullable=True),
    sa.Column('store_id', BigId, nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('order_line_id', BigId, nullable=True),
    sa.Column('product', sa.String(length=255), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('supplier_id', BigId, nullable=False),
    sa.Column('amount', hub.db.types.Money(), nullable=False),
    sa.Column('estimated', sa.Boolean(), nullable=False),
    sa.Column('incomplete', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_parts_entry_id_ledger_entries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_parts'))
    )
    with op.batch_alter_table('ledger_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_parts_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_parts_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_parts_product_booked_on'), ['product', 'booked_on'], unique=False)
    op.create_table('ledger_part_daily',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('store_id', BigId, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('product', sa.String(length=255), nullable=False),
    sa.Column('supplier_id', BigId, nullable=False),
    sa.Column('estimated', sa.Boolean(), nullable=False),
    sa.Column('incomplete', sa.Boolean(), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=False),
    *_summary_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_part_daily')),
    sa.UniqueConstraint(*_SUMMARIES[0].key, name='uq_ledger_part_daily_key')
    )
    op.create_table('ledger_supplier_daily',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('store_id', BigId, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('supplier_id', BigId, nullable=False),
    sa.Column('estimated', sa.Boolean(), nullable=False),
    sa.Column('incomplete', sa.Boolean(), nullable=False),
    *_summary_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_supplier_daily')),
    sa.UniqueConstraint(*_SUMMARIES[1].key, name='uq_ledger_supplier_daily_key')
    )
    _create_triggers()
    _backfill()


def _create_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for summary in _SUMMARIES:
        if postgresql:
            for name, event, tables, rows in summary.statement_triggers():
                op.execute(f"CREATE FUNCTION {name}_apply() RETURNS trigger LANGUAGE plpgsql AS $$ "
                           f"BEGIN {summary.statement_apply(rows)} RETURN NULL; END $$")
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON ledger_parts REFERENCING {tables} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_apply()")
            continue
        add, remove = summary.row_upsert("NEW", ""), summary.row_upsert("OLD", "-")
        op.execute(f"CREATE TRIGGER {summary.table}_ins AFTER INSERT ON ledger_parts BEGIN {add} END")
        op.execute(f"CREATE TRIGGER {summary.table}_del AFTER DELETE ON ledger_parts BEGIN {remove} END")
        op.execute(f"CREATE TRIGGER {summary.table}_upd AFTER UPDATE ON ledger_parts BEGIN {remove} {add} END")


def _backfill() -> None:
    from sqlalchemy.orm import Session

    from hub.services.allocation import reallocate_all

    session = Session(bind=op.get_bind())
    reallocate_all(session)
    session.flush()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for summary in _SUMMARIES:
        for name, _event, _tables, _rows_sql in summary.statement_triggers():
            if postgresql:
                op.execute(f"DROP TRIGGER IF EXISTS {name} ON ledger_parts")
                op.execute(f"DROP FUNCTION IF EXISTS {name}_apply()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('ledger_supplier_daily')
    op.drop_table('ledger_part_daily')
    with op.batch_alter_table('ledger_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_parts_product_booked_on'))
        batch_op.drop_index(batch_op.f('ix_ledger_parts_order_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_parts_entry_id'))
    op.drop_table('ledger_parts')
