"""Storefronts, suppliers and the keys suppliers authenticate with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, Currency, IdPk, Updated


class Store(Base):
    """A connected storefront. Tokens and webhook secrets are Fernet ciphertext, never plain."""

    __tablename__ = "stores"
    __table_args__ = (UniqueConstraint("platform", "shop_domain"),)

    id: Mapped[IdPk]
    platform: Mapped[str] = mapped_column(String(20))  # shopify | manual
    name: Mapped[str] = mapped_column(String(255))
    shop_domain: Mapped[str] = mapped_column(String(255))
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    api_version: Mapped[str | None] = mapped_column(String(20))
    api_base_url: Mapped[str | None] = mapped_column(String(500))  # set for the sandbox store
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | disconnected
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[IdPk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))  # feed | csv_po | cj | sandbox
    currency: Mapped[Currency]
    feed_url: Mapped[str | None] = mapped_column(String(2000))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)  # API keys for the connector
    lead_time_days: Mapped[int] = mapped_column(default=7)
    priority: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class SupplierKey(Base):
    """An API key scoped to one supplier; only a SHA-256 hash of the secret is kept."""

    __tablename__ = "supplier_keys"
    __table_args__ = (Index(None, "supplier_id"),)

    id: Mapped[IdPk]
    supplier_id: Mapped[int] = mapped_column(BigId, ForeignKey("suppliers.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings to tell keys apart
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(255))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[Created]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SyncCursor(Base):
    """Where an incremental pull of a store stopped; advanced only after the batch commits."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("store_id", "name"),)

    id: Mapped[IdPk]
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[Updated]


