"""The ledger (one row per money fact) and FX rates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, Currency, IdPk, Updated
from hub.db.types import Rate


def _day_of_occurrence(context: Any) -> date | None:
    """Default booking day: the UTC day the fact occurred (the ledger writer passes the order's day)."""
    occurred: datetime | None = context.get_current_parameters().get("occurred_at")
    return None if occurred is None else occurred.astimezone(UTC).date()


class LedgerEntry(Base):
    """A signed money fact (+ income, - cost). `source_ref` is unique, so a re-sync never doubles."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index(None, "store_id", "occurred_at"),
        Index(None, "order_id", "kind"),
        Index(None, "supplier_order_id"),
        Index(None, "kind", "occurred_at"),
        # Profit by period reads only this index (covering: no heap/table lookups).
        Index("ix_ledger_entries_profit_day", "booked_on", "kind", "currency", "amount"),
        Index(None, "store_id", "booked_on"),
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
    # The UTC day profit books this fact on: the order's day for order facts, so an order's profit
    # lives in one day and converts at that day's rate.
    booked_on: Mapped[date] = mapped_column(Date, default=_day_of_occurrence)
    created_at: Mapped[Created]


class LedgerDaily(Base):
    """Ledger amounts summed per (day, store, currency, kind), kept by database triggers on
    ledger_entries (insert, update, delete), so profit by period reads hundreds of rows instead of
    millions and no writer can forget it. store_id 0 = a fact of no store."""

    __tablename__ = "ledger_daily"
    __table_args__ = (UniqueConstraint("booked_on", "store_id", "currency", "kind"),)

    id: Mapped[IdPk]
    booked_on: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int] = mapped_column(BigId)
    currency: Mapped[Currency]
    kind: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal]


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


class Payout(Base):
    """A storefront payout (Shopify Payments); reconciled when its transactions' net sums to its net."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("store_id", "external_id"),)

    id: Mapped[IdPk]
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(30))
    issued_at: Mapped[datetime | None]
    net: Mapped[Decimal]
    currency: Mapped[Currency]
    transactions_net: Mapped[Decimal] = mapped_column(default=Decimal(0))
    reconciled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class PayoutTransaction(Base):
    """A balance transaction of a payout, matched to the hub's order when it names one."""

    __tablename__ = "payout_transactions"
    __table_args__ = (UniqueConstraint("store_id", "external_id"), Index(None, "payout_id"),
                      Index(None, "order_id"))

    id: Mapped[IdPk]
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id", ondelete="RESTRICT"))
    payout_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("payouts.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal]
    fee: Mapped[Decimal]
    net: Mapped[Decimal]
    currency: Mapped[Currency]
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id", ondelete="SET NULL"))
    source_order_transaction_id: Mapped[str | None] = mapped_column(String(64))
    transaction_date: Mapped[datetime | None]
