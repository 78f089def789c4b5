"""ledger_daily on PostgreSQL: one aggregated upsert per statement instead of one per row

A row-level trigger upserted the same `ledger_daily` row once per ledger entry. Inside one
transaction each upsert leaves a new version of that row which the next one must walk past, so a
statement writing n entries of one day cost O(n²): 10,000 entries 0.5 s, 40,000 entries 7.8 s,
100,000 entries 53 s. Statement-level triggers read the statement's rows from transition tables,
sum them per (day, store, currency, kind) and upsert each key once. SQLite keeps its row
triggers: there an upsert does not leave versions behind and the cost stays linear.

Revision ID: 8c2f4b6d1e73
Revises: 5e1a7c9d2b40
Create Date: 2026-12-03 12:55:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '8c2f4b6d1e73'
down_revision: str | Sequence[str] | None = '5e1a7c9d2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "booked_on, COALESCE(store_id, 0) AS store_id, currency, kind"
_APPLY = ("INSERT INTO ledger_daily (booked_on, store_id, currency, kind, amount) "
          "SELECT booked_on, store_id, currency, kind, SUM(amount) FROM ({rows}) AS moved "
          "GROUP BY booked_on, store_id, currency, kind "
          "ON CONFLICT (booked_on, store_id, currency, kind) "
          "DO UPDATE SET amount = ledger_daily.amount + excluded.amount;")
_NEW = f"SELECT {_KEY}, amount FROM new_rows"
_OLD = f"SELECT {_KEY}, -amount AS amount FROM old_rows"

# (trigger, event, transition tables, rows moved into ledger_daily)
_STATEMENT_TRIGGERS = (
    ("ledger_daily_ins", "INSERT", "NEW TABLE AS new_rows", _NEW),
    ("ledger_daily_del", "DELETE", "OLD TABLE AS old_rows", _OLD),
    ("ledger_daily_upd", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", f"{_NEW} UNION ALL {_OLD}"),
)

_ROW_FUNCTION = """
    CREATE FUNCTION ledger_daily_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            INSERT INTO ledger_daily (booked_on, store_id, currency, kind, amount)
            VALUES (OLD.booked_on, COALESCE(OLD.store_id, 0), OLD.currency, OLD.kind, -OLD.amount)
            ON CONFLICT (booked_on, store_id, currency, kind)
            DO UPDATE SET amount = ledger_daily.amount + excluded.amount;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO ledger_daily (booked_on, store_id, currency, kind, amount)
            VALUES (NEW.booked_on, COALESCE(NEW.store_id, 0), NEW.currency, NEW.kind, NEW.amount)
            ON CONFLICT (booked_on, store_id, currency, kind)
            DO UPDATE SET amount = ledger_daily.amount + excluded.amount;
        END IF;
        RETURN NULL;
    END $$"""
_ROW_CHANGED = ("OLD.amount IS DISTINCT FROM NEW.amount OR OLD.kind IS DISTINCT FROM NEW.kind "
                "OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.booked_on IS DISTINCT FROM NEW.booked_on "
                "OR OLD.store_id IS DISTINCT FROM NEW.store_id")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_daily_ins ON ledger_entries")
    op.execute("DROP TRIGGER IF EXISTS ledger_daily_upd ON ledger_entries")
    op.execute("DROP FUNCTION IF EXISTS ledger_daily_apply()")
    for name, event, tables, rows in _STATEMENT_TRIGGERS:
        op.execute(f"CREATE FUNCTION {name}_apply() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {_APPLY.format(rows=rows)} RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON ledger_entries REFERENCING {tables} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_apply()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _event, _tables, _rows in _STATEMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON ledger_entries")
        op.execute(f"DROP FUNCTION IF EXISTS {name}_apply()")
    op.execute(_ROW_FUNCTION)
    op.execute("CREATE TRIGGER ledger_daily_ins AFTER INSERT OR DELETE ON ledger_entries "
               "FOR EACH ROW EXECUTE FUNCTION ledger_daily_apply()")
    op.execute(f"CREATE TRIGGER ledger_daily_upd AFTER UPDATE ON ledger_entries FOR EACH ROW "
               f"WHEN ({_ROW_CHANGED}) EXECUTE FUNCTION ledger_daily_apply()")
