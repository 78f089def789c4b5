"""Whole UTC seconds since 1970 of a `UTCDateTime` column, the same integer on SQLite and PostgreSQL.

Durations between two stored times are then integer subtractions, exact and identical on both
backends (SQLite has no interval type; its `julianday()` is a float). Each time is truncated to
its whole second first (SQLite's `strftime('%s')` does so; PostgreSQL is made to do the same), so
a duration is "seconds between the two truncated times", on either backend.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[int]):  # lower case: it reads as a SQL function
    """`epoch_seconds(column)`: the column's whole seconds since 1970-01-01 UTC, as a BIGINT."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> None:
        super().__init__(column)


@compiles(epoch_seconds, "sqlite")
def _sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # UTCDateTime stores naive UTC text on SQLite ("2026-01-02 03:04:05.123456"); %s truncates.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM date_trunc('second', {compiler.process(element.clauses, **kw)})) AS BIGINT)"
