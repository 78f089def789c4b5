"""Small dialect-aware SQL helpers shared by repositories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def dialect_insert(session: Session, table: Table) -> Any:
    """An INSERT that supports ON CONFLICT on both backends (SQLite ≥ 3.24 and PostgreSQL)."""
    return insert_for(session.get_bind().dialect.name, table)


def insert_for(name: str, table: Any) -> Any:
    """`dialect_insert` by dialect name, for a Core connection or a statement built once."""
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


COPY_THRESHOLD = 200


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows at once: PostgreSQL `COPY` for big batches, batched VALUES otherwise.

    Asking for RETURNING makes SQLAlchemy use its "insertmanyvalues" batching (a multi-row VALUES
    template, 1,000 rows a round trip); without it psycopg would send one statement per row. On
    PostgreSQL a big batch goes through COPY, which skips statement parsing altogether.
    """
    if not rows:
        return
    if len(rows) >= COPY_THRESHOLD and session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows)
        return
    session.execute(table.insert().returning(table.c.id), list(rows)).all()


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect
    names = list(rows[0])
    processors = []
    for name in names:
        column = table.c[name]
        bind = column.type.bind_processor(dialect)
        is_json = isinstance(column.type, JSON)
        processors.append((bind, is_json))
    cursor = session.connection().connection.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = []
            for name, (bind, is_json) in zip(names, processors, strict=True):
                value = row[name]
                if value is not None and is_json:
                    value = json.dumps(value)
                elif bind is not None and not is_json:
                    value = bind(value)
                values.append(value)
            copy.write_row(values)
