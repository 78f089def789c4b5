"""Purchase orders as CSV, for suppliers without an API: one file per supplier per batch.

One row per line, a header row, UTF-8. Cells that a spreadsheet would run as a formula (starting
with = + - @, or a tab / carriage return) are prefixed with a single quote: the file is opened by
people, and customer names and notes come from the storefront, i.e. from anyone.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from hub.ports import SupplierOrderRequest

COLUMNS = (
    "reference", "sku", "quantity", "unit_cost", "currency",
    "ship_name", "ship_company", "ship_address1", "ship_address2", "ship_city", "ship_province",
    "ship_zip", "ship_country", "ship_phone", "email", "shipping_method", "note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell as text, defused when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_purchase_order(requests: Sequence[SupplierOrderRequest]) -> bytes:
    """The CSV for these orders, in the given order, one row per line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for request in requests:
        to = request.ship_to
        for line in request.lines:
            row = (
                request.reference, line.sku, line.quantity,
                "" if line.unit_cost is None else format(line.unit_cost, "f"), request.currency,
                to.name, to.company, to.address1, to.address2, to.city, to.province_code, to.zip,
                to.country_code, to.phone or request.phone, request.email, request.shipping_method, request.note,
            )
            writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def merge_purchase_orders(files: Sequence[bytes]) -> bytes:
    """One CSV from several rendered by `render_purchase_order` (one header, every row)."""
    header = _encode_row(COLUMNS)
    return header + b"".join(_join_rows(files))


def _join_rows(files: Sequence[bytes]) -> list[bytes]:
    out: list[bytes] = []
    for content in files:
        text = content.decode("utf-8")
        for row in list(csv.reader(io.StringIO(text, newline="")))[1:]:
            out.append(_encode_row(row))
    return out


def _encode_row(row: Sequence[object]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(row)
    return buffer.getvalue().encode("utf-8")


def references_in(content: bytes) -> set[str]:
    """The order references a purchase-order file holds (to never write one twice)."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8", errors="replace")))
    return {_undefuse(row.get("reference") or "") for row in reader if row.get("reference")}


def _undefuse(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text
