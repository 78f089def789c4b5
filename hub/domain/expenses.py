"""Other costs: ad spend, one-off and recurring costs — validation, CSV rows and proration.

Pure: no database, no clock. A recurring cost of N a month is spread over the calendar days of
each month (N / days in that month) in the currency's minor units with a largest-remainder rule,
so every whole month sums to N exactly and a part of a month to its exact share of N.
"""

from __future__ import annotations

import calendar
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from hub.domain.money import MoneyError, minor_units, normalize_currency

AD_SPEND = "ad_spend"
ONE_OFF = "one_off"
RECURRING = "recurring"
KINDS = (AD_SPEND, ONE_OFF, RECURRING)
KIND_WORDS = {AD_SPEND: "ad spend", ONE_OFF: "one-off cost", RECURRING: "recurring cost"}

PLATFORM_LENGTH = 64
NAME_LENGTH = 255
MAX_AMOUNT = Decimal(10) ** 14 - 1  # fits the scaled BIGINT of hub.db.types.Money with room to sum
CSV_COLUMNS = ("date", "platform", "campaign", "amount", "currency", "store")
REQUIRED_COLUMNS = ("date", "platform", "amount", "currency")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STORE_REF_LENGTH = 255


class ExpenseError(ValueError):
    """One bad value, with the field it came from (so a CLI row error or a 422 can name it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ExpenseIn:
    """A validated cost. `amount` is per day (ad spend), once (one-off) or per month (recurring);
    `store` is the store as the user named it (id or name), None for all stores."""

    kind: str
    day: date
    amount: Decimal
    currency: str
    name: str = ""
    platform: str = ""
    store: str | None = None
    end_day: date | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


def parse_day(text: str | None, field: str) -> date:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ExpenseError(field, "is required (YYYY-MM-DD)")
    if not _DAY.fullmatch(cleaned):
        raise ExpenseError(field, f"{cleaned[:40]!r} is not a day as YYYY-MM-DD")
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ExpenseError(field, f"{cleaned!r} is not a real day") from None


def parse_amount(text: str | Decimal | None, currency: str, field: str = "amount") -> Decimal:
    """A non-negative amount with at most the currency's decimals (0 for JPY, 3 for KWD)."""
    cleaned = str(text if text is not None else "").strip()
    if not cleaned:
        raise ExpenseError(field, "is required")
    try:
        amount = Decimal(cleaned)
    except (InvalidOperation, ValueError):
        raise ExpenseError(field, f"{cleaned[:40]!r} is not an amount such as 12.50") from None
    if not amount.is_finite():
        raise ExpenseError(field, f"{cleaned[:40]!r} is not a finite amount")
    if amount < 0:
        raise ExpenseError(field, "must not be negative")
    if amount > MAX_AMOUNT:
        raise ExpenseError(field, f"must be at most {MAX_AMOUNT}")
    decimals = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise ExpenseError(field, f"has more than {decimals} decimals for {currency}")
    return amount.quantize(Decimal(1).scaleb(-decimals))


def _text(value: str | None, field: str, limit: int, *, required: bool) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise ExpenseError(field, "is required")
    if len(cleaned) > limit:
        raise ExpenseError(field, f"must be at most {limit} characters")
    if "\x00" in cleaned:
        raise ExpenseError(field, "must not contain a NUL byte")
    try:
        cleaned.encode("utf-8")
    except UnicodeEncodeError:
        raise ExpenseError(field, "is not valid Unicode text") from None
    return cleaned


def _currency(value: str | None) -> str:
    try:
        return normalize_currency(value or "")
    except MoneyError:
        raise ExpenseError("currency", f"{(value or '').strip()[:10]!r} is not an ISO 4217 code such as USD") from None


def _store(value: str | None) -> str | None:
    cleaned = _text(value, "store", _STORE_REF_LENGTH, required=False)
    return cleaned or None


def validate(kind: str, day: str | date, amount: str | Decimal, currency: str, *, name: str | None = None,
             platform: str | None = None, store: str | None = None,
             end_day: str | date | None = None) -> ExpenseIn:
    """One cost from loose input; the first bad field raises ExpenseError naming it."""
    if kind not in KINDS:
        raise ExpenseError("kind", f"must be one of {', '.join(KINDS)}")
    first = day if isinstance(day, date) else parse_day(day, "date")
    code = _currency(currency)
    value = parse_amount(amount, code)
    is_ad = kind == AD_SPEND
    platform_text = _text(platform, "platform", PLATFORM_LENGTH, required=is_ad) if is_ad else ""
    name_text = _text(name, "campaign" if is_ad else "name", NAME_LENGTH, required=not is_ad)
    last: date | None = None
    if end_day not in (None, ""):
        if kind != RECURRING:
            raise ExpenseError("end", "only a recurring cost has an end day")
        last = end_day if isinstance(end_day, date) else parse_day(end_day, "end")
        if last < first:
            raise ExpenseError("end", "must not be before the start day")
    return ExpenseIn(kind=kind, day=first, amount=value, currency=code, name=name_text,
                     platform=platform_text.lower(), store=_store(store), end_day=last)


def parse_ad_spend_csv(text: str) -> tuple[list[tuple[int, ExpenseIn]], list[RowError]]:
    """Ad spend rows (date, platform, campaign, amount, currency, store) → good rows with their line
    (the line a row ends on), and one error per bad row naming its line and field. Never raises."""
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        headers = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        return [], [RowError(1, "header", f"cannot read the CSV header: {exc}")]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        return [], [RowError(1, "header", f"missing column(s) {', '.join(missing)}; the columns are "
                                          f"{', '.join(CSV_COLUMNS)}")]
    reader.fieldnames = headers
    good: list[tuple[int, ExpenseIn]] = []
    errors: list[RowError] = []
    line = 1  # the header's
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = max(reader.line_num, line + 1)  # the reader may stop counting inside a bad field
            errors.append(RowError(line, "row", f"cannot read the row: {exc}"))
            continue
        line = reader.line_num  # a quoted field may span lines: the row ends on this one
        if not any((v or "").strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)):
            continue  # a blank line
        try:
            good.append((line, _row(row)))
        except ExpenseError as exc:
            errors.append(RowError(line, exc.field, exc.message))
    return good, errors


def _row(row: Mapping[str | None, object]) -> ExpenseIn:
    if row.get(None):
        raise ExpenseError("row", f"has more values than the {len(row) - 1} columns of the header")

    def cell(name: str) -> str | None:
        value = row.get(name)
        return value if isinstance(value, str) else None

    return validate(AD_SPEND, cell("date") or "", cell("amount") or "", cell("currency") or "",
                    name=cell("campaign"), platform=cell("platform"), store=cell("store"))


def prorate_month(amount: Decimal, currency: str, year: int, month: int) -> list[Decimal]:
    """The month's amount over its days in minor units: each day floor(N/days), the remainder one
    unit each to the first days (equal remainders: earliest first), so the days sum to N exactly."""
    days = calendar.monthrange(year, month)[1]
    unit = Decimal(1).scaleb(-minor_units(currency))
    units = int((amount / unit).to_integral_value())
    sign = -1 if units < 0 else 1
    base, remainder = divmod(abs(units), days)
    return [sign * (base + (1 if day < remainder else 0)) * unit for day in range(days)]


def recurring_by_day(amount: Decimal, currency: str, start: date, end: date | None,
                     range_start: date, range_end: date) -> dict[date, Decimal]:
    """A recurring cost's share on each day of [range_start, range_end] it is active."""
    first = max(start, range_start)
    last = range_end if end is None else min(end, range_end)
    out: dict[date, Decimal] = {}
    day = first
    while day <= last:
        shares = prorate_month(amount, currency, day.year, day.month)
        month_last = date(day.year, day.month, len(shares))
        while day <= min(month_last, last):
            out[day] = shares[day.day - 1]
            day += timedelta(days=1)
    return out


def kind_of(text: str) -> str:
    """'one-off', 'one_off', 'Ad spend' … → the stored kind; ExpenseError otherwise."""
    cleaned = text.strip().lower().replace("-", "_").replace(" ", "_")
    if cleaned in KINDS:
        return cleaned
    raise ExpenseError("kind", f"must be one of {', '.join(KINDS)}, not {text[:40]!r}")
