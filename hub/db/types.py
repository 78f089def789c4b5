"""Column types that keep the correctness rules on every backend.

`Money` stores amounts as integers at a fixed scale (1/10,000 of a unit): SQLite has no decimal
type and would fall back to floating point, while integers sum exactly on SQLite and PostgreSQL
alike, so `SUM()` in SQL is exact. `UTCDateTime` refuses naive datetimes and always returns aware
UTC values, including from SQLite, which stores no offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

from hub.domain.money import STORAGE_DECIMALS


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as a BIGINT count of 10**-scale units; inexact values are refused."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = STORAGE_DECIMALS) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        scaled = Decimal(value) * self._factor
        integral = scaled.to_integral_value()
        if integral != scaled:
            raise ValueError(f"{value} has more than {self.scale} decimals; round it first")
        return int(integral)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(Decimal(1).scaleb(-self.scale))

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        return self

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class Money(ScaledDecimal):
    """An amount of money: exact to 1/10,000 of the currency unit (unit costs, FX results)."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(STORAGE_DECIMALS)


class Rate(ScaledDecimal):
    """An FX rate or a percentage: ten decimals, stored exactly."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(10)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime stored as UTC; naive values are a programming error."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime (UTC)")
        utc = value.astimezone(UTC)
        # SQLite stores text: drop the offset so every stored value compares lexically as UTC.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=UTC)
        return stored.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
