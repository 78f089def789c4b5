"""CSV purchase orders: rendering (and formula defusing), the folder, the adapter's contract, and
the answer-file parser (with a property test: every row accepted or rejected, nothing raises)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.suppliers.csv_po import (
    COLUMNS,
    CsvPurchaseOrderSupplier,
    PurchaseOrderFolder,
    parse_answer_file,
    render_purchase_order,
)
from hub.ports import SupplierOrderState
from tests.connectors.suppliers.helpers import order_request


def rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_render_one_row_per_line_with_header_and_ship_to() -> None:
    content = render_purchase_order([order_request("SO-1", ("A", 2), ("B", 1)), order_request("SO-2", ("C", 5))])
    assert content.decode("utf-8").splitlines()[0] == ",".join(COLUMNS)
    table = rows(content)
    assert [(r["reference"], r["sku"], r["quantity"]) for r in table] == [("SO-1", "A", "2"), ("SO-1", "B", "1"),
                                                                         ("SO-2", "C", "5")]
    first = table[0]
    assert first["ship_name"] == "Ada Lovelace" and first["ship_zip"] == "N1 7AA" and first["ship_country"] == "GB"
    assert first["email"] == "ada@example.com" and first["unit_cost"] == "1.00"


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd"])
def test_formula_injection_is_defused(evil: str) -> None:
    content = render_purchase_order([order_request("SO-1", ("A", 1), note=evil)])
    assert rows(content)[0]["note"] == "'" + evil


def test_non_ascii_survives_as_utf8() -> None:
    content = render_purchase_order([order_request("SO-1", ("A", 1), note="Zásilka pro Čapka — 東京")])
    assert rows(content)[0]["note"] == "Zásilka pro Čapka — 東京"


def test_folder_writes_atomically_and_never_overwrites(tmp_path: Path) -> None:
    folder = PurchaseOrderFolder(tmp_path)
    path = folder.write("acme", "2026-11-22T0900", b"reference\r\nSO-1\r\n")
    assert path == tmp_path / "acme" / "2026-11-22T0900.csv"
    assert folder.read("acme", "2026-11-22T0900") == b"reference\r\nSO-1\r\n"
    with pytest.raises(FileExistsError):
        folder.write("acme", "2026-11-22T0900", b"other")
    assert folder.read("acme", "2026-11-22T0900") == b"reference\r\nSO-1\r\n"
    assert [p.name for p in (tmp_path / "acme").iterdir()] == ["2026-11-22T0900.csv"]  # no temp files left
    with pytest.raises(ValueError):
        folder.write("../etc", "x", b"")
    with pytest.raises(ValueError):
        folder.read("acme", "../../secret")


def test_adapter_batches_each_reference_exactly_once(tmp_path: Path) -> None:
    folder = PurchaseOrderFolder(tmp_path)
    supplier = CsvPurchaseOrderSupplier("acme", folder)
    status = supplier.place_order(order_request("SO-1", ("A", 1)))
    assert status.state is SupplierOrderState.ACCEPTED and status.remote_id == "po:SO-1"
    supplier.place_order(order_request("SO-1", ("A", 9)))  # a retry: the first one wins
    CsvPurchaseOrderSupplier("acme", folder).place_order(order_request("SO-2", ("B", 2)))  # another instance
    path = supplier.write_batch("b1")
    assert path is not None
    assert [(r["reference"], r["quantity"]) for r in rows(Path(path).read_bytes())] == [("SO-1", "1"), ("SO-2", "2")]
    assert supplier.write_batch("b2") is None  # nothing new
    supplier.place_order(order_request("SO-1", ("A", 1)))  # placed again after a crash: already sent
    assert supplier.write_batch("b3") is None
    assert folder.batches("acme") == ["b1"]
    found = supplier.get_order("SO-2")
    assert found is not None and "b1" in (found.message or "")
    assert supplier.get_order("SO-9") is None


def test_cancel_before_and_after_the_batch(tmp_path: Path) -> None:
    supplier = CsvPurchaseOrderSupplier("acme", PurchaseOrderFolder(tmp_path))
    supplier.place_order(order_request("SO-1", ("A", 1)))
    supplier.place_order(order_request("SO-2", ("A", 1)))
    assert supplier.cancel_order("SO-1") is True
    supplier.write_batch("b1")
    assert supplier.cancel_order("SO-2") is False  # the supplier has the file
    assert [r["reference"] for r in rows(PurchaseOrderFolder(tmp_path).read("acme", "b1"))] == ["SO-2"]
    assert supplier.stock(["A"]) == []


ANSWER = (
    "\ufeffReference,Carrier,Tracking_Number,Tracking_URL,SKU,Quantity,Shipped_At\r\n"
    "SO-1,DHL,JD0001,https://dhl.example/JD0001,A,2,2026-11-21T10:00:00Z\r\n"
    "SO-1,DHL,JD0001,https://dhl.example/JD0001,B,1,2026-11-21T10:00:00Z\r\n"
    "SO-1,UPS,1Z999,,C,1,\r\n"
    "SO-2,GLS,GL42,,,,\r\n"
    ",DHL,JD0003,,,,\r\n"
    "SO-3,DHL,,,,,\r\n"
    "SO-4,DHL,X1,,A,two,\r\n"
    "SO-5,DHL,X2,javascript:alert(1),,,\r\n"
    "\r\n"
)


def test_answer_file_groups_parcels_and_rejects_bad_rows_with_line_and_reason() -> None:
    parsed = parse_answer_file(ANSWER.encode("utf-8"))
    by_key = {(ref, s.tracking_number): s for ref, s in parsed.shipments}
    assert set(by_key) == {("SO-1", "JD0001"), ("SO-1", "1Z999"), ("SO-2", "GL42")}
    dhl = by_key[("SO-1", "JD0001")]
    assert dhl.lines == (("A", 2), ("B", 1)) and dhl.carrier == "DHL"
    assert dhl.tracking_url == "https://dhl.example/JD0001"
    assert dhl.shipped_at == datetime(2026, 11, 21, 10, tzinfo=UTC)
    assert by_key[("SO-2", "GL42")].lines == ()  # the whole order
    assert [(r.line, r.reason.split()[0]) for r in parsed.rejects] == [
        (6, "reference"), (7, "tracking_number"), (8, "quantity"), (9, "tracking_url")]
    assert parsed.rows_accepted == 4


def test_answer_file_without_required_columns_or_not_utf8() -> None:
    missing = parse_answer_file(b"ref,carrier\r\nSO-1,DHL\r\n")
    assert missing.rejects[0].reason == "header lacks reference, tracking_number"
    assert parse_answer_file("reference,tracking_number\nSO-1,X\n".encode("utf-16")).rejects[0].line == 1
    assert parse_answer_file(b"").shipments == []


CELL = st.one_of(st.text(max_size=30), st.sampled_from(["SO-1", "JD1", "2", "-1", "=1+1", "", "A", "2026-01-01"]))


@settings(max_examples=300, deadline=None)
@given(header=st.lists(st.sampled_from(["reference", "tracking_number", "carrier", "sku", "quantity",
                                        "tracking_url", "shipped_at", "junk", ""]), max_size=8),
       body=st.lists(st.lists(CELL, max_size=9), max_size=12))
def test_answer_parser_never_raises_and_accounts_for_every_row(header: list[str], body: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    parsed = parse_answer_file(buffer.getvalue().encode("utf-8"))
    if "reference" not in header or "tracking_number" not in header:
        assert parsed.shipments == [] and (not parsed.rejects or parsed.rejects[0].line == 1)
        return
    non_blank = sum(1 for row in body if any(cell.strip() for cell in row))
    assert parsed.rows_accepted + len(parsed.rejects) == non_blank
    assert all(r.reason for r in parsed.rejects)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_answer_parser_survives_any_bytes(raw: bytes) -> None:
    parsed = parse_answer_file(raw)
    assert all(r.line >= 1 and r.reason for r in parsed.rejects)
