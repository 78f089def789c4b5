"""Store orders, their lines and timeline, reservations, supplier orders and shipments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, Currency, IdPk, Updated
from hub.domain import limits
from hub.domain.supplier_orders import check_constraint_sql


class Order(Base):
    """One storefront order; (store, external id) is unique so no channel can double it."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("store_id", "external_id"),
        Index(None, "store_id", "remote_updated_at"),
        Index(None, "status", "id"),
        Index(None, "placed_at"),
        Index(None, "lifecycle", "id"),
    )

    id: Mapped[IdPk]
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(limits.EXTERNAL_ID_LENGTH))
    name: Mapped[str] = mapped_column(String(limits.ORDER_NAME_LENGTH))
    email: Mapped[str | None] = mapped_column(String(limits.EMAIL_LENGTH))
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20), default="new")  # hub status: new | routed | ...
    financial_status: Mapped[str] = mapped_column(String(30))
    fulfillment_status: Mapped[str] = mapped_column(String(30))
    # One word a person reads (hub.domain.lifecycle), kept by services.lifecycle.refresh_lifecycle
    # in the transaction that changes its inputs; stored so lists filter and count by it.
    lifecycle: Mapped[str] = mapped_column(String(20), default="received", server_default="received")
    subtotal_price: Mapped[Decimal]
    total_discounts: Mapped[Decimal]
    total_shipping: Mapped[Decimal]
    total_tax: Mapped[Decimal]
    total_price: Mapped[Decimal]
    shipping_address: Mapped[dict[str, Any] | None]
    billing_address: Mapped[dict[str, Any] | None]
    placed_at: Mapped[datetime]
    remote_updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(limits.CANCEL_REASON_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Routing a big order commits chunk by chunk: who routes it now, and when it last moved, so a
    # routing whose process died is continued by the next one (status stays "routing" meanwhile).
    routing_token: Mapped[str | None] = mapped_column(String(32))
    routing_beat: Mapped[datetime | None]
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "external_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "routing_status"),
    )

    id: Mapped[IdPk]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(limits.EXTERNAL_ID_LENGTH))
    sku: Mapped[str | None] = mapped_column(String(limits.SKU_LENGTH))
    title: Mapped[str] = mapped_column(String(limits.LINE_TITLE_LENGTH))
    variant_id: Mapped[str | None] = mapped_column(String(limits.EXTERNAL_ID_LENGTH))
    product_id: Mapped[str | None] = mapped_column(String(limits.EXTERNAL_ID_LENGTH))
    quantity: Mapped[int]  # INTEGER: at most limits.QUANTITY_MAX
    unit_price: Mapped[Decimal]
    total_discount: Mapped[Decimal]
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    listing_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("listings.id", ondelete="SET NULL"))
    routing_status: Mapped[str] = mapped_column(String(20), default="pending")
    attention_reason: Mapped[str | None] = mapped_column(String(255))


class OrderEvent(Base):
    """The order's timeline: every change the hub saw or made, in order."""

    __tablename__ = "order_events"
    __table_args__ = (Index(None, "order_id", "occurred_at"),)

    id: Mapped[IdPk]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[Created]


class Reservation(Base):
    """Stock held on an offer for a routed line: held → consumed | released."""

    __tablename__ = "reservations"
    __table_args__ = (
        UniqueConstraint("order_line_id", "offer_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index(None, "offer_id", "state"),
    )

    id: Mapped[IdPk]
    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default="held")
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class SupplierOrder(Base):
    """The order the hub places with one supplier for one store order; placed exactly once."""

    __tablename__ = "supplier_orders"
    __table_args__ = (
        UniqueConstraint("order_id", "supplier_id", "attempt"),
        CheckConstraint(check_constraint_sql(), name="state_known"),  # the states of hub.domain.supplier_orders
        Index(None, "state", "not_before"),
        Index(None, "supplier_id", "state"),
    )

    id: Mapped[IdPk]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="RESTRICT"))
    supplier_id: Mapped[int] = mapped_column(BigId, ForeignKey("suppliers.id", ondelete="RESTRICT"))
    attempt: Mapped[int] = mapped_column(default=1)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    remote_id: Mapped[str | None] = mapped_column(String(128))
    currency: Mapped[Currency]
    expected_cost: Mapped[Decimal]
    expected_shipping: Mapped[Decimal]
    place_attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    not_before: Mapped[datetime | None]
    placed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]


class SupplierOrderLine(Base):
    __tablename__ = "supplier_order_lines"
    __table_args__ = (
        UniqueConstraint("supplier_order_id", "order_line_id", "offer_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[IdPk]
    supplier_order_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("supplier_orders.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(BigId, ForeignKey("order_lines.id", ondelete="RESTRICT"))
    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id", ondelete="RESTRICT"))
    supplier_sku: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int]
    unit_cost: Mapped[Decimal]
    shipping_cost: Mapped[Decimal]


class Shipment(Base):
    """A parcel a supplier sent, and the store fulfillment it became."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("supplier_order_id", "tracking_number"),
        Index(None, "status", "last_event_at"),
    )

    id: Mapped[IdPk]
    supplier_order_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("supplier_orders.id", ondelete="CASCADE")
    )
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str] = mapped_column(String(100))
    tracking_url: Mapped[str | None] = mapped_column(String(2000))
    lines: Mapped[list[Any]] = mapped_column(default=list)  # [{order_line_id, quantity}]
    status: Mapped[str] = mapped_column(String(20), default="in_transit")
    remote_fulfillment_id: Mapped[str | None] = mapped_column(String(128))
    shipped_at: Mapped[Created]
    last_event_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    fulfilled_at: Mapped[datetime | None]
