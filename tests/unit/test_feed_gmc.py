"""Google Merchant Center feeds: RSS XML (inline and the two real feeds in ../shared) and TSV."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.suppliers.feeds import (
    FeedChunk,
    FeedFormatError,
    FeedOptions,
    OfferRow,
    RowReject,
    parse_feed,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def parse(
    data: bytes, fmt: str = "auto", **options: object
) -> tuple[list[OfferRow], list[RowReject], list[FeedChunk]]:
    chunks = list(parse_feed(io.BytesIO(data), fmt, FeedOptions(**options)))  # type: ignore[arg-type]
    return [o for c in chunks for o in c.offers], [r for c in chunks for r in c.rejects], chunks


def shared_feed(name: str) -> Path:
    path = SHARED / "feeds" / name
    if not path.exists():
        pytest.skip(f"../shared is absent: {path} not found (test data kept outside the repository)")
    return path


def rss(*items: str) -> bytes:
    body = "".join(f"<item>{item}</item>" for item in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
        f"<channel><title>t</title>{body}</channel></rss>"
    ).encode()


def test_items_prices_availability_and_shipping() -> None:
    data = rss(
        "<g:id>A</g:id><g:title>Mug</g:title><g:price>15.00 USD</g:price>"
        "<g:availability>in stock</g:availability>"
        "<g:gtin>4006381333931</g:gtin><g:image_link>https://x.test/a.jpg</g:image_link>"
        "<g:shipping><g:country>US</g:country><g:price>4.00 USD</g:price></g:shipping>"
        "<g:shipping><g:country>CA</g:country><g:price>9.00 USD</g:price></g:shipping>",
        "<g:id>B</g:id><g:price>20.00 USD</g:price><g:sale_price>12.50 USD</g:sale_price>"
        "<g:availability>out_of_stock</g:availability><g:identifier_exists>no</g:identifier_exists>"
        "<g:image_link>https://x.test/b.jpg</g:image_link>",
        "<g:id>C</g:id><g:price>5 USD</g:price><g:availability>backorder</g:availability>"
        "<g:quantity>4</g:quantity>"
        "<g:identifier_exists>no</g:identifier_exists><g:image_link>https://x.test/c.jpg</g:image_link>",
        "<g:id>D</g:id><g:price>5 USD</g:price><g:availability>preorder</g:availability>"
        "<g:identifier_exists>no</g:identifier_exists><g:image_link>https://x.test/d.jpg</g:image_link>",
    )
    offers, rejects, chunks = parse(data, default_quantity=7, backorder_quantity=2)
    assert rejects == []
    assert [(o.line, o.sku, o.quantity, o.cost, o.availability) for o in offers] == [
        (1, "A", 7, Decimal("15.00"), "in_stock"),
        (2, "B", 0, Decimal("12.50"), "out_of_stock"),
        (3, "C", 4, Decimal("5"), "backorder"),
        (4, "D", 2, Decimal("5"), "preorder"),
    ]
    assert (offers[0].shipping_cost, offers[0].countries, offers[0].title) == (
        Decimal("9.00"),
        ("US", "CA"),
        "Mug",
    )
    assert [w.reason for c in chunks for w in c.warnings] == [
        "shipping differs by country; the highest is used"
    ]


def test_item_rejects_use_item_numbers() -> None:
    data = rss(
        "<g:id>A</g:id><g:price>abc</g:price><g:availability>in_stock</g:availability>",
        "<g:price>1 USD</g:price><g:availability>in_stock</g:availability>",
        "<g:id>C</g:id><g:price>1 USD</g:price><g:availability>sometimes</g:availability>",
        "<g:id>D</g:id><g:price>1 USD</g:price><g:availability>in_stock</g:availability>"
        "<g:shipping><g:country>GB</g:country><g:price>3 GBP</g:price></g:shipping>",
    )
    _, rejects, _ = parse(data)
    assert [(r.line, r.field, r.reason) for r in rejects] == [
        (1, "cost", "cost is not an amount: 'abc'"),
        (2, "sku", "missing SKU"),
        (3, "availability", "unknown availability 'sometimes'"),
        (4, "shipping", "shipping currency GBP differs from price currency USD"),
    ]


def test_truncated_xml_keeps_items_before_the_break() -> None:
    item = "<g:id>{}</g:id><g:price>1 USD</g:price><g:availability>in_stock</g:availability>"
    data = rss(*(item.format(i) for i in range(3)))
    offers, rejects, chunks = parse(data[: data.index(b"<item><g:id>2") + 20])
    assert [o.sku for o in offers] == ["0", "1"]
    assert rejects[-1].line == 3 and rejects[-1].field == "feed" and "malformed XML" in rejects[-1].reason
    assert chunks[-1].ended_early


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<rss><channel><item>", "malformed XML"),
        (b"<html><body/></html>", "not an RSS or Atom feed"),
        (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaa">]><rss/>', "DOCTYPE is refused"),
    ],
)
def test_unreadable_xml(data: bytes, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse(data, "gmc-xml")


def test_gmc_tsv() -> None:
    data = (
        b"id\ttitle\tprice\tavailability\tshipping\tgtin\n"
        b"A\tMug\t15.00 USD\tin stock\tUS:CA:Overnight:16.00 USD\t4006381333931\n"
        b"B\tCup\t3.00 USD\tout of stock\t\t\n"
    )
    offers, rejects, _ = parse(data)
    assert rejects == []
    assert [(o.sku, o.quantity, o.shipping_cost, o.countries) for o in offers] == [
        ("A", 10, Decimal("16.00"), ("US",)),
        ("B", 0, None, ()),
    ]


def test_real_importpc_feed_yields_1254_czk_offers_and_reports_the_repeat() -> None:
    path = shared_feed("gmc-importpc-cz.xml")
    with path.open("rb") as fh:
        chunks = list(parse_feed(fh, "auto", FeedOptions()))
    offers = [o for c in chunks for o in c.offers]
    rejects = [r for c in chunks for r in c.rejects]
    assert len(offers) == 1254 and len({o.sku for o in offers}) == 1254
    assert {o.currency for o in offers} == {"CZK"}
    assert rejects == [RowReject(1008, "sku", "SKU repeated (first on line 1007)", "BC-FU-LI3560")]
    # 1,243 items carry a GTIN (all valid), one of them the repeat; the 12 others say identifier_exists=false.
    assert sum(1 for o in offers if o.gtin) == 1242
    assert [w for c in chunks for w in c.warnings] == []
    first = offers[0]
    assert (first.cost, first.shipping_cost, first.gtin, first.countries) == (
        Decimal("599"),
        Decimal("79"),
        "5902687180165",
        ("CZ",),
    )
    assert Counter(o.availability for o in offers) == {"in_stock": 1245, "out_of_stock": 9}


def test_real_importpc_feed_gzipped_in_small_chunks() -> None:
    data = gzip.compress(shared_feed("gmc-importpc-cz.xml").read_bytes())
    offers, rejects, chunks = parse(data, chunk_rows=100)
    assert len(offers) == 1254 and len(rejects) == 1 and len(chunks) == 13


def test_real_sparkling_feed_reports_every_defect() -> None:
    path = shared_feed("gmc-sparkling-uk.xml")
    with path.open("rb") as fh:
        chunks = list(parse_feed(fh, "gmc-xml", FeedOptions(default_quantity=3)))
    offers = [o for c in chunks for o in c.offers]
    warnings = [w for c in chunks for w in c.warnings]
    assert len(offers) == 73 and [r for c in chunks for r in c.rejects] == []
    assert {(o.currency, o.shipping_cost, o.countries, o.quantity) for o in offers} == {
        ("GBP", Decimal("3.65"), ("GB",), 3)
    }
    # Its defects: no item has a GTIN or identifier_exists; 72 of 73 image links are the shop's home page.
    by_reason = Counter((w.field, w.reason) for w in warnings)
    assert by_reason == {
        ("gtin", "no GTIN and identifier_exists is not 'no'"): 73,
        ("image_link", "image_link is a placeholder, not an image URL"): 72,
    }
    assert {w.line for w in warnings if w.field == "image_link"} == set(range(1, 74)) - {67}
