"""expenses: ad spend by day, one-off and recurring costs (other costs of the profit report)

One table for the three kinds so a cost has one id to list and delete. The unique key
(kind, day, store_key, currency, platform, name) makes a re-import update instead of double;
store_key is the store id or 0 for a cost of all stores, because NULLs never conflict.

Revision ID: 4d9e2f7a1c36
Revises: 4d9a6e2f8b17
Create Date: 2026-12-03 13:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = '4d9e2f7a1c36'
down_revision: str | Sequence[str] | None = '4d9a6e2f8b17'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('expenses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=True),
    sa.Column('platform', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('store_key', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount', hub.db.types.Money(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('ad_spend', 'one_off', 'recurring')", name=op.f('ck_expenses_kind_known')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_expenses_amount_not_negative')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_expenses_store_id_stores'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expenses')),
    sa.UniqueConstraint('kind', 'day', 'store_key', 'currency', 'platform', 'name',
                        name=op.f('uq_expenses_kind_day_store_key_currency_platform_name'))
    )
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expenses_day'), ['day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expenses_day'))
    op.drop_table('expenses')
