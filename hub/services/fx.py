"""FX rates: CSV import (file or configured URL) and the rate-of-the-day lookup.

A rate is looked up for the order's day (latest on or before it; the inverse pair is accepted);
when there is none the caller flags it, never guesses.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.engine import Database
from hub.db.models import FxRate
from hub.db.sql import dialect_insert
from hub.domain.money import MoneyError, normalize_currency
from hub.errors import UserError
from hub.services.routing_load import fx_converter as converter

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

__all__ = ["FxImportResult", "converter", "import_csv", "import_rows", "pull_url", "rates_for"]

_DAY_COLUMNS = ("day", "date")
_MAX_RATE_DECIMALS = 10


@dataclass
class FxImportResult:
    rows: int = 0
    written: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _parse_row(row: dict[str, str | None]) -> dict[str, Any]:
    day_text = next((row[c] for c in _DAY_COLUMNS if row.get(c)), None)
    if not day_text:
        raise ValueError("missing day")
    try:
        day = date.fromisoformat(day_text.strip())
    except ValueError:
        raise ValueError(f"bad day {day_text.strip()!r} (want YYYY-MM-DD)") from None
    try:
        base = normalize_currency(row.get("base") or "")
        quote = normalize_currency(row.get("quote") or "")
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    if base == quote:
        raise ValueError("base and quote are the same currency")
    try:
        rate = Decimal((row.get("rate") or "").strip())
    except InvalidOperation:
        raise ValueError(f"bad rate {row.get('rate')!r}") from None
    if not rate.is_finite() or rate <= 0:
        raise ValueError("rate must be a positive number")
    if rate != rate.quantize(Decimal(1).scaleb(-_MAX_RATE_DECIMALS)):
        raise ValueError(f"rate has more than {_MAX_RATE_DECIMALS} decimals")
    return {"day": day, "base": base, "quote": quote, "rate": rate}


def import_rows(session: Session, reader: Iterable[dict[str, str | None]], source: str,
                first_line: int = 2) -> FxImportResult:
    """Upsert good rows by (day, base, quote); each bad row is listed with its line and reason."""
    result = FxImportResult()
    good: dict[tuple[date, str, str], dict[str, Any]] = {}
    for line, row in enumerate(reader, start=first_line):
        result.rows += 1
        try:
            parsed = _parse_row(row)
        except ValueError as exc:
            result.rejects.append((line, str(exc)))
            continue
        good[(parsed["day"], parsed["base"], parsed["quote"])] = {**parsed, "source": source[:255]}
    if good:
        statement = dialect_insert(session, FxRate.__table__)  # type: ignore[arg-type]
        statement = statement.on_conflict_do_update(
            index_elements=["day", "base", "quote"],
            set_={"rate": statement.excluded.rate, "source": statement.excluded.source})
        session.execute(statement, list(good.values()))
    result.written = len(good)
    return result


def _reader(text: str) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(text))
    headers = {h.strip().lower() for h in (reader.fieldnames or [])}
    if not headers & set(_DAY_COLUMNS) or not {"base", "quote", "rate"} <= headers:
        raise UserError("FX CSV needs the columns day (or date), base, quote, rate")
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    return reader


def import_csv(db: Database, stream: IO[bytes], source: str) -> FxImportResult:
    try:
        text = stream.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError("FX CSV is not UTF-8 text") from exc
    reader = _reader(text)
    with db.transaction() as session:
        result = import_rows(session, reader, source)
    logger.info("fx rates imported", extra={"written": result.written, "rejected": len(result.rejects)})
    return result


def pull_url(hub: Hub) -> dict[str, int]:
    """The fx.pull job: fetch the configured CSV URL, import like a file (a no-op when unset)."""
    url = hub.settings.fx_rates_url
    if not url:
        return {"written": 0, "rejected": 0}
    import httpx

    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    with hub.db.transaction() as session:
        result = import_rows(session, _reader(response.text), url)
    return {"written": result.written, "rejected": len(result.rejects)}


def rates_for(session: Session, currencies: Sequence[str], quote: str,
              days: Sequence[date]) -> dict[tuple[str, date], Decimal | None]:
    """The rate of each (currency, day) into `quote`, or None when there is no rate on or before."""
    out: dict[tuple[str, date], Decimal | None] = {}
    for day in sorted(set(days)):
        convert = converter(session, day)
        for currency in set(currencies):
            out[(currency, day)] = convert(Decimal(1), currency, quote)
    return out


def known_currencies(session: Session) -> set[str]:
    rows = session.execute(select(FxRate.base).distinct()).scalars().all()
    quotes = session.execute(select(FxRate.quote).distinct()).scalars().all()
    return set(rows) | set(quotes)
