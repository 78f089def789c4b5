"""The supplier's answer file: tracking numbers for our purchase orders.

Columns (header row required, any order, case-insensitive): reference, tracking_number (required);
carrier, tracking_url, sku, quantity, shipped_at (optional). Rows with the same reference and
tracking number form one parcel; a row with a sku and quantity puts that line in the parcel, rows
without a sku mean the whole order. Every row is either accepted or rejected with its line number
and reason; a bad row never stops the others, and nothing in the file raises.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connectors.suppliers.csv_po.render import _undefuse
from hub.ports import SupplierShipment

REQUIRED = ("reference", "tracking_number")
KNOWN = (*REQUIRED, "carrier", "tracking_url", "sku", "quantity", "shipped_at")
MAX_CELL = 500


@dataclass(frozen=True)
class RowReject:
    line: int  # 1-based line in the file (the header is line 1)
    reason: str


@dataclass
class AnswerFile:
    shipments: list[tuple[str, SupplierShipment]] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    rows_accepted: int = 0


@dataclass
class _Parcel:
    carrier: str | None
    tracking_url: str | None
    shipped_at: datetime | None
    lines: list[tuple[str, int]] = field(default_factory=list)


def _decode(content: bytes | str) -> str | None:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def parse_answer_file(content: bytes | str) -> AnswerFile:
    result = AnswerFile()
    text = _decode(content)
    if text is None:
        result.rejects.append(RowReject(1, "the file is not UTF-8"))
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        result.rejects.append(RowReject(1, f"unreadable header: {exc}"))
        return result
    if header is None:
        return result
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        result.rejects.append(RowReject(1, f"header lacks {', '.join(missing)}"))
        return result
    index = {name: names.index(name) for name in KNOWN if name in names}
    parcels: dict[tuple[str, str], _Parcel] = {}
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.rejects.append(RowReject(line, f"unreadable row: {exc}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        reason = _take(row, index, parcels)
        if reason is None:
            result.rows_accepted += 1
        else:
            result.rejects.append(RowReject(line, reason))
    for (reference, number), parcel in parcels.items():
        shipment = SupplierShipment(tracking_number=number, carrier=parcel.carrier, tracking_url=parcel.tracking_url,
                                    lines=tuple(parcel.lines), shipped_at=parcel.shipped_at)
        result.shipments.append((reference, shipment))
    return result


def _cell(row: list[str], index: dict[str, int], name: str) -> str:
    i = index.get(name)
    return _undefuse(row[i].strip()) if i is not None and i < len(row) else ""


def _take(row: list[str], index: dict[str, int], parcels: dict[tuple[str, str], _Parcel]) -> str | None:
    """Add the row to its parcel; the reason when it cannot be."""
    values = {name: _cell(row, index, name) for name in index}
    too_long = [name for name, value in values.items() if len(value) > MAX_CELL]
    if too_long:
        return f"{too_long[0]} is longer than {MAX_CELL} characters"
    reference, number = values["reference"], values["tracking_number"]
    if not reference:
        return "reference is empty"
    if not number:
        return "tracking_number is empty"
    if any(not ch.isprintable() for ch in reference + number):
        return "reference or tracking_number has control characters"
    sku, quantity_text = values.get("sku", ""), values.get("quantity", "")
    quantity = 0
    if sku or quantity_text:
        if not sku:
            return "quantity without sku"
        if not quantity_text.isascii() or not quantity_text.isdigit() or int(quantity_text) <= 0:
            return f"quantity must be a positive whole number, got {quantity_text!r}"
        quantity = int(quantity_text)
    shipped_at = None
    if values.get("shipped_at"):
        try:
            shipped_at = datetime.fromisoformat(values["shipped_at"])
        except ValueError:
            return f"shipped_at is not an ISO date-time: {values['shipped_at']!r}"
        shipped_at = shipped_at.replace(tzinfo=UTC) if shipped_at.tzinfo is None else shipped_at.astimezone(UTC)
    url = values.get("tracking_url") or None
    if url is not None and not url.lower().startswith(("https://", "http://")):
        return "tracking_url must be an http(s) URL"
    parcel = parcels.setdefault((reference, number), _Parcel(values.get("carrier") or None, url, shipped_at))
    if sku:
        parcel.lines.append((sku, quantity))
    return None
