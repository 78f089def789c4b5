"""CSV feeds: dialects, encodings, quoting, line numbers, mapping, chunking, broken input."""

from __future__ import annotations

import gzip
import io
from decimal import Decimal

import pytest

from connectors.suppliers.feeds import (
    FeedChunk,
    FeedFormatError,
    FeedOptions,
    OfferRow,
    RowReject,
    detect_format,
    parse_feed,
)


def parse(
    data: bytes, fmt: str = "auto", **options: object
) -> tuple[list[OfferRow], list[RowReject], list[FeedChunk]]:
    chunks = list(parse_feed(io.BytesIO(data), fmt, FeedOptions(**options)))  # type: ignore[arg-type]
    return [o for c in chunks for o in c.offers], [r for c in chunks for r in c.rejects], chunks


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    text = (
        delimiter.join(["sku", "qty", "price", "currency"]) + "\n" + delimiter.join(["A", "2", "3.50", "EUR"])
    )
    offers, rejects, _ = parse(text.encode(), "csv")
    assert rejects == []
    assert [(o.sku, o.quantity, o.cost, o.currency) for o in offers] == [("A", 2, Decimal("3.50"), "EUR")]


def test_bom_and_semicolons_and_decimal_comma() -> None:
    data = "\ufeffSKU;Stock;Price\r\nA;1;15,00\r\nB;2;1.234,50\r\n".encode()
    offers, rejects, _ = parse(data, currency="EUR")
    assert rejects == []
    assert [(o.sku, o.cost) for o in offers] == [("A", Decimal("15.00")), ("B", Decimal("1234.50"))]


def test_windows_1252_is_read_when_not_utf8() -> None:
    data = "sku,title,qty,price\nA,Café crème,1,2\n".encode("cp1252")
    offers, _, _ = parse(data, currency="EUR")
    assert offers[0].title == "Café crème"


def test_stray_cp1252_bytes_after_a_utf8_head_are_read_as_cp1252() -> None:
    head = "sku,title,qty,price\n" + "".join(f"S{i},Crème {i},1,2\n" for i in range(5000))
    data = head.encode() + "Z,Café,1,2\n".encode("cp1252")
    offers, rejects, _ = parse(data, currency="EUR")
    assert rejects == [] and offers[-1].title == "Café" and offers[0].title == "Crème 0"


def test_quoted_fields_with_newlines_keep_physical_line_numbers() -> None:
    data = b'sku,title,qty,price\nA,"two\nlines, and a comma",1,2\nB,"x ""quoted""",1,2\n\nC,plain,-1,2\n'
    offers, rejects, _ = parse(data, currency="USD")
    assert [(o.line, o.title) for o in offers] == [(2, "two\nlines, and a comma"), (4, 'x "quoted"')]
    assert rejects == [RowReject(6, "quantity", "quantity is negative", "C")]


def test_price_with_currency_code_is_used() -> None:
    offers, rejects, _ = parse(b"sku,qty,price\nA,1,15.00 USD\nB,1,9 GBP\n")
    assert rejects == []
    assert [(o.cost, o.currency) for o in offers] == [(Decimal("15.00"), "USD"), (Decimal("9"), "GBP")]


def test_duplicates_unknown_currency_and_ragged_rows() -> None:
    data = (
        b"sku,qty,price,currency\nA,1,1,USD\nB,1,1,XXX\nA,2,2,USD\nC,1\nD,1,1,USD,,\nE,1,1,USD,extra\n,,,\n"
    )
    offers, rejects, _ = parse(data)
    assert [o.sku for o in offers] == ["A", "D"]
    assert [(r.line, r.field, r.reason) for r in rejects] == [
        (3, "currency", "unknown currency 'XXX'"),
        (4, "sku", "SKU repeated (first on line 2)"),
        (5, "row", "row has 2 fields, header has 4"),
        (7, "row", "row has 5 fields, header has 4"),
    ]


def test_shopify_style_headers_and_overrides() -> None:
    data = (
        b"Handle,Variant SKU,Variant Inventory Qty,Variant Price,Variant Barcode\nh,S1,4,2.50,4006381333931\n"
    )
    offers, _, _ = parse(data, currency="CAD")
    assert (offers[0].sku, offers[0].quantity, offers[0].gtin) == ("S1", 4, "4006381333931")
    data = b"Artikel;Bestand;EK;Name\nX;3;1,50;Tasse\n"
    mapping = {"sku": "artikel", "quantity": "BESTAND", "cost": "EK"}
    offers, _, _ = parse(data, columns=mapping, currency="EUR")
    assert (offers[0].sku, offers[0].quantity, offers[0].cost, offers[0].title) == (
        "X",
        3,
        Decimal("1.50"),
        "Tasse",
    )


def test_header_without_required_columns_is_a_format_error() -> None:
    with pytest.raises(FeedFormatError, match="SKU column"):
        parse(b"name,qty,price\nA,1,1\n")
    with pytest.raises(FeedFormatError, match="not in the header"):
        parse(b"sku,qty,price\nA,1,1\n", columns={"gtin": "ean13"})


def test_overlong_row_is_rejected_and_the_next_rows_are_read() -> None:
    data = b"sku,qty,price,title\nA,1,1,ok\nB,1,1," + b"x" * 5000 + b"\nC,1,1,ok\n"
    offers, rejects, _ = parse(data, currency="USD", max_row_bytes=1024)
    assert [o.sku for o in offers] == ["A", "C"] and [o.line for o in offers] == [2, 4]
    assert rejects == [RowReject(3, "row", "row longer than 1024 bytes")]


def test_chunks_are_bounded_and_rows_add_up() -> None:
    rows = "".join(f"S{i},{i % 7},{1 + i % 5}.25,USD\n" for i in range(12_345))
    offers, rejects, chunks = parse(
        ("sku,qty,price,currency\n" + rows + "S1,1,1,USD\n").encode(), chunk_rows=1000
    )
    assert len(offers) == 12_345 and len(rejects) == 1
    assert max(c.rows for c in chunks) < 1000 + 500
    assert [o.line for o in offers] == list(range(2, 12_347))


def test_gzip_stream() -> None:
    data = gzip.compress(b"sku,qty,price\nA,1,2 EUR\n")
    offers, _, _ = parse(data)
    assert offers[0].currency == "EUR"


def test_corrupt_gzip_tail_keeps_rows_and_says_so() -> None:
    rows = "".join(f"S{i},1,2\n" for i in range(100_000)).encode()
    data = gzip.compress(b"sku,qty,price\n" + rows)[:-5000]
    offers, rejects, chunks = parse(data, currency="USD")
    assert 0 < len(offers) < 100_000
    assert rejects[-1].field == "feed" and "cannot read the feed stream" in rejects[-1].reason
    assert chunks[-1].ended_early


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"sku,qty\n", "csv"),
        (b"\xef\xbb\xbf  <?xml version='1.0'?><rss>", "gmc-xml"),
        (b" [{}]", "json"),
        (b'{"sku": 1}\n', "jsonl"),
        ("<rss>".encode("utf-16"), "gmc-xml"),
        (b"id\ttitle\tprice\tavailability\n", "gmc-tsv"),
        (b"sku\tqty\n", "csv"),
    ],
)
def test_detect_format(head: bytes, fmt: str) -> None:
    assert detect_format(head) == fmt


@pytest.mark.parametrize(
    "data", [b"", b"\x00\x01\x02garbage\x00" * 100, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"]
)
def test_unreadable_input_is_a_format_error(data: bytes) -> None:
    with pytest.raises(FeedFormatError):
        parse(data)


def test_unknown_format_name() -> None:
    with pytest.raises(FeedFormatError, match="unknown format"):
        parse(b"x", "xls")


def test_spooled_upload_and_utf16_with_bom() -> None:
    import tempfile

    with tempfile.SpooledTemporaryFile(max_size=10) as upload:
        upload.write("sku\tqty\tprice\tcurrency\nA\t1\t2\tPLN\n".encode("utf-16"))
        upload.seek(0)
        chunks = list(parse_feed(upload, "auto", FeedOptions()))
    assert [(o.sku, o.currency) for c in chunks for o in c.offers] == [("A", "PLN")]


def test_a_text_stream_is_refused_clearly() -> None:
    with pytest.raises(FeedFormatError, match="must be binary"):
        list(parse_feed(io.StringIO("sku,qty,price\n"), "csv", FeedOptions()))  # type: ignore[arg-type]
