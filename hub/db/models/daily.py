"""Orders counted per (UTC day placed, store), kept by database triggers on `orders`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, IdPk


class OrderDaily(Base):
    """How many orders were placed on each UTC day in each store: the KPI summary's order count reads
    a row per day instead of counting a million orders (~150 ms for a year on PostgreSQL). Triggers
    on orders (insert, delete, a change of placed_at or store) keep it, so no writer can forget it."""

    __tablename__ = "order_daily"
    __table_args__ = (UniqueConstraint("day", "store_id"),)

    id: Mapped[IdPk]
    day: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int] = mapped_column(BigId)
    orders: Mapped[int] = mapped_column(BigInteger)
