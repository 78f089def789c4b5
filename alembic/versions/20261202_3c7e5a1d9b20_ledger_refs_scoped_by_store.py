"""ledger: references of storefront facts scoped by store

Transaction and balance-transaction ids are unique per store, not across stores (two shops, or a
Shopify and a WooCommerce store, can both have transaction 1001): the ledger's unique
`source_ref` now carries the store id, so one store's fee can never overwrite another's.

Revision ID: 3c7e5a1d9b20
Revises: 91ea8a9fe928
Create Date: 2026-12-02 07:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '3c7e5a1d9b20'
down_revision: str | Sequence[str] | None = '91ea8a9fe928'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PREFIXES = ("txn:", "balance:")


def upgrade() -> None:
    # Rewrites only source_ref: the daily-summary triggers fire on amount/kind/day changes only.
    for prefix in _PREFIXES:
        op.execute(
            f"UPDATE ledger_entries SET source_ref = '{prefix}' || CAST(store_id AS VARCHAR(20)) || ':' || "
            f"substr(source_ref, {len(prefix) + 1}) WHERE source_ref LIKE '{prefix}%'")


def downgrade() -> None:
    for prefix in _PREFIXES:
        op.execute(
            f"UPDATE ledger_entries SET source_ref = '{prefix}' || "
            f"substr(source_ref, {len(prefix) + 2} + length(CAST(store_id AS VARCHAR(20)))) "
            f"WHERE source_ref LIKE '{prefix}%'")
