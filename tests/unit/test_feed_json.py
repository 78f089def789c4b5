"""JSON array and JSON Lines feeds, streamed."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from connectors.suppliers.feeds import (
    FeedChunk,
    FeedFormatError,
    FeedOptions,
    OfferRow,
    RowReject,
    base,
    parse_feed,
)


def parse(
    data: bytes, fmt: str = "auto", **options: object
) -> tuple[list[OfferRow], list[RowReject], list[FeedChunk]]:
    chunks = list(parse_feed(io.BytesIO(data), fmt, FeedOptions(**options)))  # type: ignore[arg-type]
    return [o for c in chunks for o in c.offers], [r for c in chunks for r in c.rejects], chunks


def test_json_array_with_exact_prices_and_nested_money() -> None:
    data = b"""[
      {"sku": "A", "qty": 3, "price": 19.99, "currency": "usd", "ean": "4006381333931",
       "countries": ["us", "ca"]},
      {"SKU": "B", "Stock": "2", "price": {"amount": "5.10", "currency": "EUR"}},
      {"sku": "C", "qty": 1.5, "price": 1},
      7,
      {"sku": "A", "qty": 1, "price": 1}
    ]"""
    offers, rejects, _ = parse(data, currency="USD")
    assert [(o.line, o.sku, o.quantity, o.cost, o.currency, o.gtin, o.countries) for o in offers] == [
        (1, "A", 3, Decimal("19.99"), "USD", "4006381333931", ("US", "CA")),
        (2, "B", 2, Decimal("5.10"), "EUR", None, ()),
    ]
    assert [(r.line, r.field, r.reason) for r in rejects] == [
        (3, "quantity", "quantity is not a whole number"),
        (4, "row", "item is a JSON int, not an object"),
        (5, "sku", "SKU repeated (first on line 1)"),
    ]


def test_json_array_is_read_incrementally_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "READ_SIZE", 7)
    monkeypatch.setattr("connectors.suppliers.feeds.text.READ_SIZE", 7)
    items = [
        {"sku": f"S{i}", "quantity": i, "price": f"{i + 1}.5", "title": "é" * (i % 5)} for i in range(300)
    ]
    data = json.dumps(items, ensure_ascii=False).encode()

    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            return super().read(min(size or 7, 7) if size and size > 0 else 7)

    chunks = list(parse_feed(Trickle(data), "json", FeedOptions(currency="USD", chunk_rows=64)))
    offers = [o for c in chunks for o in c.offers]
    assert [o.sku for o in offers] == [f"S{i}" for i in range(300)]
    assert offers[-1].title == "é" * 4 and max(c.rows for c in chunks) == 64


def test_broken_json_array_keeps_items_before_the_break() -> None:
    offers, rejects, chunks = parse(b'[{"sku":"A","qty":1,"price":"1 USD"}, {"sku": "B", "qty": ]')
    assert [o.sku for o in offers] == ["A"]
    assert (
        rejects[-1].line == 2
        and rejects[-1].field == "feed"
        and "invalid JSON in item 2" in rejects[-1].reason
    )
    assert chunks[-1].ended_early


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"not": "an array"', "array of objects"),
        (b"[", "ends early"),
        (b"[{]", "invalid JSON in item 1"),
        (b"[] trailing", "unexpected data"),
    ],
)
def test_unreadable_json(data: bytes, message: str) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse(data, "json")


def test_empty_array_is_an_empty_feed() -> None:
    offers, rejects, chunks = parse(b"[ ]")
    assert (offers, rejects, [c.rows for c in chunks]) == ([], [], [0])


def test_json_lines_rejects_bad_lines_and_goes_on() -> None:
    data = (
        b'{"sku": "A", "quantity": 1, "price": "2.00", "currency": "GBP"}\n'
        b"\n"
        b'{"sku": "B", "quantity": \n'
        b'["not", "an object"]\n'
        b'{"id": "C", "availability": "in stock", "price": "3 GBP"}\n'
    )
    offers, rejects, _ = parse(data, default_quantity=4)
    assert [(o.line, o.sku, o.quantity) for o in offers] == [(1, "A", 1), (5, "C", 4)]
    assert [(r.line, r.field) for r in rejects] == [(3, "row"), (4, "row")]
    assert rejects[0].reason.startswith("invalid JSON")


def test_json_mapping_override() -> None:
    data = b'{"artnr": "X", "bestand": 2, "ek": "1,50"}\n'
    offers, _, _ = parse(
        data, "jsonl", columns={"sku": "artnr", "quantity": "bestand", "cost": "ek"}, currency="EUR"
    )
    assert (offers[0].sku, offers[0].quantity, offers[0].cost) == ("X", 2, Decimal("1.50"))
