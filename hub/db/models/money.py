"""The ledger (one row per money fact) and FX rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, Currency, IdPk
from hub.db.types import Rate


class LedgerEntry(Base):
    """A signed money fact (+ income, - cost). `source_ref` is unique, so a re-sync never doubles."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index(None, "store_id", "occurred_at"),
        Index(None, "order_id", "kind"),
        Index(None, "supplier_order_id"),
        Index(None, "kind", "occurred_at"),
    )

    id: Mapped[IdPk]
    source_ref: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    store_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("stores.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"))
    order_line_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("order_lines.id", ondelete="RESTRICT")
    )
    supplier_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("suppliers.id", ondelete="RESTRICT"))
    supplier_order_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("supplier_orders.id", ondelete="RESTRICT")
    )
    amount: Mapped[Decimal]
    currency: Mapped[Currency]
    estimated: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime]
    created_at: Mapped[Created]


class FxRate(Base):
    """1 `base` = `rate` `quote` on `day`; profit uses the rate of the order's day, never a guess."""

    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("day", "base", "quote"),)

    id: Mapped[IdPk]
    day: Mapped[date] = mapped_column(Date)
    base: Mapped[Currency]
    quote: Mapped[Currency]
    rate: Mapped[Decimal] = mapped_column(Rate())
    source: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[Created]
