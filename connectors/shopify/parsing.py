"""Small strict readers for Shopify payloads: every failure is a ShopifyMappingError naming the field.

Mappers build on these so that garbage in (a webhook body, a GraphQL node) gives one clear error
type out, never a KeyError or a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.shopify.errors import ShopifyMappingError
from hub.domain.limits import MONEY_MAX
from hub.domain.money import Money, MoneyError, normalize_currency, to_decimal
from hub.domain.orders import gid_to_id


def obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ShopifyMappingError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def opt_obj(value: Any, where: str) -> Mapping[str, Any] | None:
    return None if value is None else obj(value, where)


def items(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShopifyMappingError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def text(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ShopifyMappingError(f"{where}: expected text, got {type(value).__name__}")
    return str(value)


def opt_text(value: Any, where: str) -> str | None:
    """Text or None; empty strings become None so REST "" and GraphQL null compare equal."""
    if value is None:
        return None
    result = text(value, where).strip()
    return result or None


def ident(value: Any, where: str) -> str:
    """A numeric id as text from a number, numeric string or GID."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ShopifyMappingError(f"{where}: expected an id, got {type(value).__name__}")
    result = gid_to_id(value)
    if not result:
        raise ShopifyMappingError(f"{where}: empty id")
    return result


def opt_ident(value: Any, where: str) -> str | None:
    return None if value is None else ident(value, where)


def amount(value: Any, where: str) -> Decimal:
    """An exact amount no larger than the database stores (so sums over amounts cannot overflow)."""
    try:
        result = to_decimal(value)
    except MoneyError as exc:
        raise ShopifyMappingError(f"{where}: {exc}") from exc
    if abs(result) > MONEY_MAX:
        raise ShopifyMappingError(f"{where}: is above the largest amount the hub stores ({MONEY_MAX})")
    return result


def opt_amount(value: Any, where: str) -> Decimal | None:
    return None if value is None else amount(value, where)


def currency(value: Any, where: str) -> str:
    try:
        return normalize_currency(text(value, where))
    except MoneyError as exc:
        raise ShopifyMappingError(f"{where}: {exc}") from exc


def money(value: Any, where: str) -> Money:
    """A GraphQL MoneyV2 `{amount, currencyCode}`."""
    node = obj(value, where)
    return Money(
        amount(node.get("amount"), f"{where}.amount"),
        currency(node.get("currencyCode"), f"{where}.currencyCode"),
    )


def opt_money(value: Any, where: str) -> Money | None:
    return None if value is None else money(value, where)


def integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShopifyMappingError(f"{where}: expected an integer, got {value!r}")
    return value


def moment(value: Any, where: str) -> datetime:
    """ISO 8601 → aware UTC datetime (a missing offset is read as UTC)."""
    raw = text(value, where)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ShopifyMappingError(f"{where}: not an ISO 8601 time: {raw[:40]!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # year 1 or 9999 pushed out of range by its offset
        raise ShopifyMappingError(f"{where}: time out of range: {raw[:40]!r}") from exc


def opt_moment(value: Any, where: str) -> datetime | None:
    return None if value is None or value == "" else moment(value, where)


def flag(value: Any, where: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ShopifyMappingError(f"{where}: expected true/false, got {value!r}")
    return value


def lower(value: Any, where: str) -> str | None:
    result = opt_text(value, where)
    return result.lower() if result else None
