"""Operational tables: webhook deliveries, the outbox, job runs and leases, the attention list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, BigId, Created, IdPk, Updated


class WebhookDelivery(Base):
    """A verified webhook as received; (store, webhook id) unique makes a replay a no-op."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("store_id", "webhook_id"),
        Index(None, "status", "id"),
    )

    id: Mapped[IdPk]
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # received → processing → processed | error; a transient failure goes back to received (backoff)
    status: Mapped[str] = mapped_column(String(20), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    triggered_at: Mapped[datetime | None]
    received_at: Mapped[Created]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # claims so far
    claimed_at: Mapped[datetime | None]  # the last claim: a `processing` row older than that is stuck
    next_attempt_at: Mapped[datetime | None]  # a retried delivery waits until then


class OutboxMessage(Base):
    """A side effect written with the change that caused it, delivered after commit by a job."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "state", "available_at"),)

    id: Mapped[IdPk]
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    available_at: Mapped[Created]
    locked_until: Mapped[datetime | None]
    created_at: Mapped[Created]
    done_at: Mapped[datetime | None]


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (Index(None, "job", "started_at"),)

    id: Mapped[IdPk]
    job: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | error
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[Created]
    finished_at: Mapped[datetime | None]


class JobLease(Base):
    """At most one run of a job per scope at a time, across threads and processes."""

    __tablename__ = "job_leases"
    __table_args__ = (UniqueConstraint("job", "scope"),)

    id: Mapped[IdPk]
    job: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(64))  # store id, or "*" for store-less jobs
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[Updated]
    # Who holds it, so a lease dies with its process: the host and pid, and the process's start
    # time (a reused pid is another process); the heartbeat says the holder is still working.
    holder_host: Mapped[str | None] = mapped_column(String(255))
    holder_pid: Mapped[int | None]
    holder_started: Mapped[str | None] = mapped_column(String(40))
    heartbeat_at: Mapped[datetime | None]


class AttentionItem(Base):
    """Something a person must look at; `dedupe_key` keeps one open item per cause."""

    __tablename__ = "attention_items"
    __table_args__ = (Index(None, "resolved_at", "created_at"),)

    id: Mapped[IdPk]
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(Text)
    store_id: Mapped[int | None] = mapped_column(BigId)
    order_id: Mapped[int | None] = mapped_column(BigId)
    supplier_order_id: Mapped[int | None] = mapped_column(BigId)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[Created]
    resolved_at: Mapped[datetime | None]
