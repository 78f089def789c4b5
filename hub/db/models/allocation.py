"""Money facts allocated to lines and suppliers (`hub.domain.allocation`), and their daily sums.

`ledger_parts` holds, for every ledger entry, its parts per (order line, supplier); the ledger
writer rewrites an order's parts in the same transaction as its entries, and a part dies with its
entry (ON DELETE CASCADE). `ledger_part_daily` (and, without the product, `ledger_supplier_daily`) is kept from
`ledger_parts` by database triggers,
so profit by product, supplier, store and period is a GROUP BY over a few hundred rows a day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Currency, IdPk

NOT_ROUTED_LABEL = "(no supplier: not routed)"
NO_PRODUCT_KEY = "(no product)"
KEY_LENGTH = 255


class LedgerPart(Base):
    """One part of a ledger entry: its amount for one order line (product) and one supplier.

    `supplier_id` 0 = no supplier fulfils it (not routed); `store_id` 0 = a fact of no store.
    `incomplete`: the line has no live supplier order or no supplier cost yet; `estimated`: the
    entry is a supplier estimate."""

    __tablename__ = "ledger_parts"
    __table_args__ = (
        Index(None, "order_id"),
        Index(None, "product", "booked_on"),
    )

    id: Mapped[IdPk]
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("ledger_entries.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(BigId)
    store_id: Mapped[int] = mapped_column(BigId)
    booked_on: Mapped[date] = mapped_column(Date)
    currency: Mapped[Currency]
    kind: Mapped[str] = mapped_column(String(30))
    order_line_id: Mapped[int | None] = mapped_column(BigId)
    product: Mapped[str] = mapped_column(String(KEY_LENGTH))  # the line's SKU, or a named stand-in
    label: Mapped[str] = mapped_column(String(KEY_LENGTH))  # the line's title
    supplier_id: Mapped[int] = mapped_column(BigId)
    amount: Mapped[Decimal]
    estimated: Mapped[bool] = mapped_column(default=False)
    incomplete: Mapped[bool] = mapped_column(default=False)


class LedgerPartDaily(Base):
    """`ledger_parts` summed per day, store, currency, product, supplier and flags, one column per
    profit bucket (signed like the ledger); tax is not a bucket and is left out."""

    __tablename__ = "ledger_part_daily"
    __table_args__ = (UniqueConstraint("booked_on", "store_id", "currency", "product", "supplier_id", "estimated",
                                       "incomplete", name="uq_ledger_part_daily_key"),)

    id: Mapped[IdPk]
    booked_on: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int] = mapped_column(BigId)
    currency: Mapped[Currency]
    product: Mapped[str] = mapped_column(String(KEY_LENGTH))
    supplier_id: Mapped[int] = mapped_column(BigId)
    estimated: Mapped[bool]
    incomplete: Mapped[bool]
    label: Mapped[str] = mapped_column(String(KEY_LENGTH))
    parts: Mapped[int]  # how many parts are in it now: a row emptied by rewrites keeps no flags
    revenue: Mapped[Decimal]
    refunds: Mapped[Decimal]
    fees: Mapped[Decimal]
    supplier_cost: Mapped[Decimal]
    shipping_cost: Mapped[Decimal]
    fx: Mapped[Decimal]


class LedgerSupplierDaily(Base):
    """`ledger_parts` summed like `ledger_part_daily` but without the product: the few rows a day
    that profit by period, store and supplier read (a year: thousands, not a hundred thousand)."""

    __tablename__ = "ledger_supplier_daily"
    __table_args__ = (UniqueConstraint("booked_on", "store_id", "currency", "supplier_id", "estimated", "incomplete",
                                       name="uq_ledger_supplier_daily_key"),)

    id: Mapped[IdPk]
    booked_on: Mapped[date] = mapped_column(Date)
    store_id: Mapped[int] = mapped_column(BigId)
    currency: Mapped[Currency]
    supplier_id: Mapped[int] = mapped_column(BigId)
    estimated: Mapped[bool]
    incomplete: Mapped[bool]
    parts: Mapped[int]
    revenue: Mapped[Decimal]
    refunds: Mapped[Decimal]
    fees: Mapped[Decimal]
    supplier_cost: Mapped[Decimal]
    shipping_cost: Mapped[Decimal]
    fx: Mapped[Decimal]
