"""Small dialect-aware SQL helpers shared by repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def dialect_insert(session: Session, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on both backends (SQLite ≥ 3.24 and PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {name}")


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                  conflict: Sequence[str]) -> int:
    """Insert rows, silently keeping existing ones on a unique conflict; returns rows inserted."""
    if not rows:
        return 0
    statement: Insert = (dialect_insert(session, table).on_conflict_do_nothing(index_elements=list(conflict))
                         .returning(table.c[conflict[0]]))
    # RETURNING counts what was really inserted on every backend (executemany's rowcount is -1 on psycopg).
    return len(session.execute(statement, list(rows)).all())


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in batched multi-row statements.

    Asking for RETURNING makes SQLAlchemy use its "insertmanyvalues" batching on every backend (a
    cached multi-row VALUES template, 1,000 rows a round trip); without it psycopg would send one
    statement per row.
    """
    if rows:
        session.execute(table.insert().returning(table.c.id), list(rows)).all()
