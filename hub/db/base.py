"""Declarative base with a constraint naming convention, so migrations name every constraint."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column

from hub.db.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" auto-increments.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


IdPk = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
Created = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
Updated = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False)]
Currency = Annotated[str, mapped_column(String(3), nullable=False)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        int: Integer(),
        Decimal: Money(),
    }


__all__ = ["Base", "BigId", "Created", "Currency", "IdPk", "Money", "Updated", "utcnow"]
