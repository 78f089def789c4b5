"""job_leases: the holder's host, pid and process start time, and a heartbeat; orders: routing claim

A lease now dies with its process: a new process takes over a lease whose holder is gone (same
host, pid not alive or alive with another start time) or whose heartbeat stopped, instead of
waiting out `HUB_JOB_LEASE_SECONDS`. A big order is routed chunk by chunk: `orders.routing_token`
names the routing that owns it and `routing_beat` when it last moved.

Revision ID: 5e1a7c9d2b40
Revises: 7b1e4c2a9d05
Create Date: 2026-12-03 09:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = '5e1a7c9d2b40'
down_revision: str | Sequence[str] | None = '7b1e4c2a9d05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('job_leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder_host', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('holder_pid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('holder_started', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', hub.db.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('routing_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('routing_beat', hub.db.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('routing_beat')
        batch_op.drop_column('routing_token')
    with op.batch_alter_table('job_leases', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('holder_started')
        batch_op.drop_column('holder_pid')
        batch_op.drop_column('holder_host')
