"""Shared builders for supplier connector tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connectors.http import RetryPolicy
from hub.domain.orders import Address
from hub.ports import SupplierLineRequest, SupplierOrderRequest

ADDRESS = Address(name="Ada Lovelace", address1="12 Loom St", address2="Flat 3", city="London",
                  province_code="LND", zip="N1 7AA", country_code="GB", phone="+44 20 7946 0000")


def order_request(reference: str = "SO-1", *lines: tuple[str, int], key: str | None = None,
                  note: str | None = None, email: str | None = "ada@example.com") -> SupplierOrderRequest:
    chosen = lines or (("SBX-0001-1", 2), ("SBX-0002-1", 1))
    return SupplierOrderRequest(
        reference=reference,
        idempotency_key=key or f"key-{reference}",
        currency="USD",
        lines=tuple(SupplierLineRequest(sku, qty, Decimal("1.00")) for sku, qty in chosen),
        ship_to=ADDRESS,
        email=email,
        note=note,
    )


def no_wait(attempts: int = 5) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, sleep=lambda _s: None)


class Clock:
    """A settable UTC clock for shipping delays and token expiry."""

    def __init__(self, start: datetime | None = None) -> None:
        self.value = start or datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += timedelta(seconds=seconds)
