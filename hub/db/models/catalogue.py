"""Supplier catalogue (offers, feed runs), store listings and the mappings between them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, Currency, IdPk, Updated


class Offer(Base):
    """What a supplier sells: cost, shipping, stock. `changed` marks offers the sync must push."""

    __tablename__ = "offers"
    __table_args__ = (
        UniqueConstraint("supplier_id", "supplier_sku"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index(None, "gtin"),
        Index(None, "supplier_id", "changed"),
    )

    id: Mapped[IdPk]
    supplier_id: Mapped[int] = mapped_column(BigId, ForeignKey("suppliers.id", ondelete="CASCADE"))
    supplier_sku: Mapped[str] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(1000))
    gtin: Mapped[str | None] = mapped_column(String(14))
    cost: Mapped[Decimal]
    shipping_cost: Mapped[Decimal | None]
    currency: Mapped[Currency]
    stock: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")  # held by routed, unplaced lines
    countries: Mapped[list[Any]] = mapped_column(default=list)  # ISO codes; empty = ships anywhere
    lead_time_days: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    changed: Mapped[bool] = mapped_column(default=True)
    last_feed_run_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class FeedRun(Base):
    """One import of a supplier feed, whatever its source; suspect runs wait for confirmation."""

    __tablename__ = "feed_runs"
    __table_args__ = (Index(None, "supplier_id", "started_at"),)

    id: Mapped[IdPk]
    supplier_id: Mapped[int] = mapped_column(BigId, ForeignKey("suppliers.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20))  # push | cli | url
    mode: Mapped[str] = mapped_column(String(10))  # full | delta
    format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # running | applied | suspect | failed | discarded
    rows: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    staged_path: Mapped[str | None] = mapped_column(String(1000))  # a suspect feed kept for confirm
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[Created]
    finished_at: Mapped[datetime | None]


class FeedReject(Base):
    __tablename__ = "feed_rejects"
    __table_args__ = (Index(None, "feed_run_id", "line"),)

    id: Mapped[IdPk]
    feed_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("feed_runs.id", ondelete="CASCADE"))
    line: Mapped[int]
    field: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    sku: Mapped[str | None] = mapped_column(String(255))


class Listing(Base):
    """A store variant, with the last quantity and price the hub pushed (to push only changes)."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("store_id", "variant_id"),
        Index(None, "store_id", "sku"),
        Index(None, "store_id", "barcode"),
    )

    id: Mapped[IdPk]
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id", ondelete="CASCADE"))
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str] = mapped_column(String(64))
    inventory_item_id: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(1000))
    price: Mapped[Decimal | None]
    compare_at_price: Mapped[Decimal | None]
    currency: Mapped[Currency]
    safety_buffer: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    last_pushed_quantity: Mapped[int | None]
    last_pushed_price: Mapped[Decimal | None]
    last_pushed_at: Mapped[datetime | None]
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class Mapping(Base):
    """Listing → offer. Rows of one listing with the same priority form one bundle option."""

    __tablename__ = "mappings"
    __table_args__ = (
        UniqueConstraint("listing_id", "offer_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "offer_id"),
    )

    id: Mapped[IdPk]
    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("listings.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id", ondelete="CASCADE"))
    priority: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[int] = mapped_column(default=1)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual | sku | gtin
    created_at: Mapped[Created]
