"""The limits an order must respect to be stored: one place shared by the models and every channel.

The database models size their columns with these constants, and `validate_order` checks a
normalized `OrderIn` against the same numbers, so a hostile or broken order (a webhook body, a pulled
page, a manual order) is refused with the field and the reason instead of failing as a database
error halfway through a transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from decimal import Decimal

from hub.domain.money import STORAGE_DECIMALS, minor_units
from hub.domain.orders import Address, OrderIn, OrderLineIn

# Column lengths (characters).
EXTERNAL_ID_LENGTH = 64  # orders/order_lines external_id, variant_id, product_id
ORDER_NAME_LENGTH = 255
EMAIL_LENGTH = 320  # RFC 5321: 64 + "@" + 255
SKU_LENGTH = 255
LINE_TITLE_LENGTH = 1000
CANCEL_REASON_LENGTH = 255
ADDRESS_FIELD_LENGTH = 255  # addresses are JSON: no column limit, but no real address line is longer

# Integer columns: `int` maps to INTEGER (32-bit on PostgreSQL), money to BIGINT at a fixed scale.
INT32_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
QUANTITY_MAX = INT32_MAX
MONEY_MAX = Decimal(BIGINT_MAX).scaleb(-STORAGE_DECIMALS)  # 922337203685477.5807


class OrderLimitError(ValueError):
    """An order the database could not hold as it is: `field` names where, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def check_text(value: str | None, field: str, max_length: int, *, required: bool = False) -> None:
    """No NUL byte (PostgreSQL refuses it), valid Unicode (no lone surrogate), at most `max_length`."""
    if value is None or value == "":
        if required:
            raise OrderLimitError(field, "is required")
        return
    if "\x00" in value:
        raise OrderLimitError(field, "contains a NUL byte")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise OrderLimitError(field, "is not valid Unicode (lone surrogate)") from None
    if len(value) > max_length:
        raise OrderLimitError(field, f"is {len(value)} characters long; at most {max_length} are allowed")


def check_amount(value: Decimal, currency: str, field: str) -> None:
    """Finite, 0 to MONEY_MAX, and at most the currency's decimals (what the money column stores)."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise OrderLimitError(field, f"not a finite amount: {value!r}"[:200])
    if value < 0:
        raise OrderLimitError(field, "must not be negative")
    if value > MONEY_MAX:
        raise OrderLimitError(field, f"is above the largest amount the hub stores ({MONEY_MAX})")
    decimals = minor_units(currency)
    if value != value.quantize(Decimal(1).scaleb(-decimals)):
        raise OrderLimitError(field, f"has more than {decimals} decimals, the most {currency} has")


def check_quantity(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OrderLimitError(field, f"must be a whole number, got {type(value).__name__}")
    if value <= 0:
        raise OrderLimitError(field, f"must be above 0, got {value}")
    if value > QUANTITY_MAX:
        raise OrderLimitError(field, f"is above the largest quantity the hub stores ({QUANTITY_MAX})")


def validate_lines(lines: Iterable[OrderLineIn], currency: str, prefix: str = "lines") -> None:
    """Each line within limits and line ids unique; run before any arithmetic on the lines."""
    seen: dict[str, int] = {}
    for index, line in enumerate(lines):
        where = f"{prefix}[{index}]"
        check_text(line.external_id, f"{where}.id", EXTERNAL_ID_LENGTH, required=True)
        if line.external_id in seen:
            raise OrderLimitError(f"{where}.id", f"duplicate line id {line.external_id!r} "
                                                 f"(also {prefix}[{seen[line.external_id]}])")
        seen[line.external_id] = index
        check_text(line.sku, f"{where}.sku", SKU_LENGTH)
        check_text(line.title, f"{where}.title", LINE_TITLE_LENGTH)
        check_text(line.variant_id, f"{where}.variant_id", EXTERNAL_ID_LENGTH)
        check_text(line.product_id, f"{where}.product_id", EXTERNAL_ID_LENGTH)
        check_quantity(line.quantity, f"{where}.quantity")
        check_amount(line.unit_price, currency, f"{where}.unit_price")
        check_amount(line.total_discount, currency, f"{where}.total_discount")


def _check_address(address: Address | None, field: str) -> None:
    if address is None:
        return
    for item in fields(address):
        check_text(getattr(address, item.name), f"{field}.{item.name}", ADDRESS_FIELD_LENGTH)


def validate_order(order: OrderIn) -> OrderIn:
    """The order unchanged when the database can hold it; OrderLimitError naming the field otherwise."""
    check_text(order.external_id, "id", EXTERNAL_ID_LENGTH, required=True)
    check_text(order.name, "name", ORDER_NAME_LENGTH)
    check_text(order.email, "email", EMAIL_LENGTH)
    check_text(order.cancel_reason, "cancel_reason", CANCEL_REASON_LENGTH)
    for index, tag in enumerate(order.tags):
        check_text(tag, f"tags[{index}]", ADDRESS_FIELD_LENGTH)
    validate_lines(order.lines, order.currency)
    for name in ("subtotal_price", "total_discounts", "total_shipping", "total_tax", "total_price"):
        check_amount(getattr(order, name), order.currency, name)
    _check_address(order.shipping_address, "shipping_address")
    _check_address(order.billing_address, "billing_address")
    return order
