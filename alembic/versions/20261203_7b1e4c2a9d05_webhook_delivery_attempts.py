"""webhook deliveries: attempts, last claim and next attempt

The sweep retries a delivery that failed for a passing reason with a backoff and gives up into
`error` after a bounded number of attempts; `claimed_at` tells a stuck `processing` row from one
that is still at work.

Revision ID: 7b1e4c2a9d05
Revises: 3c7e5a1d9b20
Create Date: 2026-12-03 09:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = '7b1e4c2a9d05'
down_revision: str | Sequence[str] | None = '3c7e5a1d9b20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('claimed_at', hub.db.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('next_attempt_at', hub.db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_deliveries') as batch:
        batch.drop_column('next_attempt_at')
        batch.drop_column('claimed_at')
        batch.drop_column('attempts')
