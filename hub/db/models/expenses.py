"""Other costs of the business: ad spend by day, one-off costs and recurring costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, Currency, IdPk, Updated


class Expense(Base):
    """A cost outside the orders. `amount` is per day (ad_spend), once (one_off) or per calendar month
    (recurring, from `day` to `end_day`). `store_key` is the store id or 0 for all stores, so the
    unique key also holds for costs of no store (NULLs never conflict): importing again updates."""

    __tablename__ = "expenses"
    __table_args__ = (
        UniqueConstraint("kind", "day", "store_key", "currency", "platform", "name"),
        CheckConstraint("kind IN ('ad_spend', 'one_off', 'recurring')", name="kind_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index(None, "day"),
    )

    id: Mapped[IdPk]
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    end_day: Mapped[date | None] = mapped_column(Date)
    platform: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    store_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("stores.id", ondelete="CASCADE"))
    store_key: Mapped[int] = mapped_column(BigId)
    amount: Mapped[Decimal]
    currency: Mapped[Currency]
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]
