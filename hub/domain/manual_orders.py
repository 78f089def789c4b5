"""Orders taken by phone, e-mail or at a counter, validated into the same `OrderIn` as any channel.

An order with any bad line is refused whole: shipping half of what a customer asked for is worse
than asking the operator to fix one row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from hub.domain.countries import normalize_country
from hub.domain.limits import EXTERNAL_ID_LENGTH, MONEY_MAX, OrderLimitError, validate_lines, validate_order
from hub.domain.money import MoneyError, normalize_currency, to_decimal
from hub.domain.orders import Address, FinancialStatus, FulfillmentStatus, OrderIn, OrderLineIn

MAX_REFERENCE = EXTERNAL_ID_LENGTH


class ManualOrderError(ValueError):
    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field, self.reason = field, reason


@dataclass(frozen=True, slots=True)
class ManualLine:
    sku: str
    quantity: int | str
    unit_price: Decimal | str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class RowReject:
    line: int
    field: str | None
    reason: str
    reference: str | None = None


def _amount(value: Decimal | str | None, field: str, *, required: bool) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ManualOrderError(field, "is required")
        return Decimal(0)
    try:
        amount = to_decimal(value)
    except MoneyError as exc:
        raise ManualOrderError(field, f"not an amount: {value!r}") from exc
    if amount < 0:
        raise ManualOrderError(field, "must not be negative")
    if amount > MONEY_MAX:
        raise ManualOrderError(field, f"is above the largest amount the hub stores ({MONEY_MAX})")
    return amount


def _quantity(value: int | str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise ManualOrderError("quantity", f"must be a whole number above 0, got {value!r}")
    return int(text)


def build_manual_order(
    reference: str, currency: str, lines: Iterable[ManualLine], address: Mapping[str, str | None],
    *, now: datetime, email: str | None = None, shipping: Decimal | str | None = None,
    discount: Decimal | str | None = None, paid: bool = True,
) -> OrderIn:
    """Validate one manual order; raises ManualOrderError naming the field and the reason."""
    reference = (reference or "").strip()
    if not reference or len(reference) > MAX_REFERENCE:
        raise ManualOrderError("reference", f"is required (1 to {MAX_REFERENCE} characters)")
    try:
        code = normalize_currency(currency)
    except MoneyError as exc:
        raise ManualOrderError("currency", f"unknown currency {currency!r}") from exc
    if email and "@" not in email:
        raise ManualOrderError("email", f"not an e-mail address: {email!r}")
    country = normalize_country(address.get("country_code"))
    if country is None:
        raise ManualOrderError("country_code", f"not an ISO country code: {address.get('country_code')!r}")
    for required in ("address1", "city"):
        if not (address.get(required) or "").strip():
            raise ManualOrderError(required, "is required for shipping")
    order_lines = []
    for index, line in enumerate(lines, start=1):
        sku = (line.sku or "").strip()
        if not sku:
            raise ManualOrderError("sku", "is required")
        order_lines.append(OrderLineIn(
            external_id=str(index), sku=sku, title=(line.title or sku).strip(),
            quantity=_quantity(line.quantity), unit_price=_amount(line.unit_price, "unit_price", required=True),
        ))
    if not order_lines:
        raise ManualOrderError("lines", "an order needs at least one line")
    try:  # before any sum over the lines
        validate_lines(order_lines, code)
    except OrderLimitError as exc:
        raise ManualOrderError(exc.field, exc.reason) from exc
    shipping_amount = _amount(shipping, "shipping", required=False)
    discount_amount = _amount(discount, "discount", required=False)
    subtotal = sum((line.unit_price * line.quantity for line in order_lines), Decimal(0))
    if discount_amount > subtotal:
        raise ManualOrderError("discount", "is larger than the order's subtotal")
    ship_to = Address(
        name=_clean(address.get("name")), company=_clean(address.get("company")),
        address1=_clean(address.get("address1")), address2=_clean(address.get("address2")),
        city=_clean(address.get("city")), province_code=_clean(address.get("province_code")),
        zip=_clean(address.get("zip")), country_code=country, phone=_clean(address.get("phone")),
    )
    order = OrderIn(
        external_id=reference, name=reference, currency=code, created_at=now, updated_at=now,
        financial_status=FinancialStatus.PAID if paid else FinancialStatus.PENDING,
        fulfillment_status=FulfillmentStatus.UNFULFILLED, subtotal_price=subtotal,
        total_discounts=discount_amount, total_shipping=shipping_amount, total_tax=Decimal(0),
        total_price=subtotal - discount_amount + shipping_amount, lines=tuple(order_lines),
        email=_clean(email), shipping_address=ship_to, processed_at=now,
    )
    try:  # the same limits as every channel: what the database can hold
        return validate_order(order)
    except OrderLimitError as exc:
        raise ManualOrderError(exc.field, exc.reason) from exc


def _clean(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


CSV_COLUMNS = ("reference", "email", "currency", "sku", "title", "quantity", "unit_price", "shipping",
               "discount", "name", "company", "address1", "address2", "city", "province_code", "zip",
               "country_code", "phone")
REQUIRED_COLUMNS = ("reference", "currency", "sku", "quantity", "unit_price", "address1", "city", "country_code")


def orders_from_csv_rows(rows: Iterable[tuple[int, Mapping[str, str | None]]], now: datetime,
                         ) -> tuple[list[OrderIn], list[RowReject]]:
    """Group rows by reference (one row per line; order fields from the order's first row)."""
    groups: dict[str, list[tuple[int, Mapping[str, str | None]]]] = {}
    rejects: list[RowReject] = []
    for line_no, row in rows:
        reference = (row.get("reference") or "").strip()
        if not reference:
            rejects.append(RowReject(line_no, "reference", "is required"))
            continue
        groups.setdefault(reference, []).append((line_no, row))
    orders: list[OrderIn] = []
    for reference, members in groups.items():
        first = members[0][1]
        try:
            for line_no, row in members[1:]:
                if (row.get("currency") or first.get("currency") or "").strip().upper() != \
                        (first.get("currency") or "").strip().upper():
                    raise _AtLine(line_no, ManualOrderError("currency", "differs from the order's first row"))
            for line_no, row in members:
                try:
                    _quantity(row.get("quantity") or "")
                    _amount(row.get("unit_price"), "unit_price", required=True)
                    if not (row.get("sku") or "").strip():
                        raise ManualOrderError("sku", "is required")
                except ManualOrderError as exc:
                    raise _AtLine(line_no, exc) from exc
            try:
                orders.append(build_manual_order(
                    reference, first.get("currency") or "",
                    [ManualLine(r.get("sku") or "", r.get("quantity") or "", r.get("unit_price") or "",
                                r.get("title")) for _, r in members],
                    first, now=now, email=first.get("email"), shipping=first.get("shipping"),
                    discount=first.get("discount")))
            except ManualOrderError as exc:
                raise _AtLine(members[0][0], exc) from exc
        except _AtLine as bad:
            for line_no, _ in members:
                if line_no == bad.line:
                    rejects.append(RowReject(line_no, bad.error.field, bad.error.reason, reference))
                else:
                    rejects.append(RowReject(line_no, None, f"order {reference} has a bad row (line {bad.line})",
                                             reference))
    rejects.sort(key=lambda r: r.line)
    return orders, rejects


class _AtLine(Exception):
    def __init__(self, line: int, error: ManualOrderError) -> None:
        super().__init__(str(error))
        self.line, self.error = line, error
