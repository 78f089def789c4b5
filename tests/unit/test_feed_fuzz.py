"""Property tests: malformed input never escapes as an unhandled exception, and every data row is
accounted for (accepted + rejected = rows), each reject with a line and a reason."""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.suppliers.feeds import FeedChunk, FeedFormatError, FeedOptions, csv_feed, fastpath, parse_feed
from hub.domain.catalogue import RowReject
from hub.domain.offer_storage import to_params

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER = ["sku", "title", "quantity", "price", "currency", "shipping", "gtin", "country"]

text_field = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
plausible = {
    "sku": st.one_of(
        st.sampled_from(["A", "B", "C", " D ", ""]), st.from_regex(r"[A-Z]{1,3}-[0-9]{1,3}", fullmatch=True)
    ),
    "title": text_field,
    "quantity": st.one_of(st.integers(-3, 10**10).map(str), st.sampled_from(["", "1.0", "x", " 7 ", "1_0"])),
    "price": st.one_of(
        st.decimals(min_value=-5, max_value=10**13, allow_nan=False, allow_infinity=False).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(
            ["15.00 USD", "15,00", "1,000", "EUR 3", "", "0", "$1", "1e3", "2.12345", "7.1000000"]
        ),
    ),
    "currency": st.sampled_from(["USD", "usd", " EUR ", "", "XYZ", "GBP"]),
    "shipping": st.sampled_from(["", "0", "4.95", "-1", "3 USD", "3 EUR", "x", "US:::5 USD", " "]),
    "gtin": st.sampled_from(["", "4006381333931", "4006381333932", "96385074", "123", " 036000291452 "]),
    "country": st.sampled_from(["", "US", "us,ca", "GB; XYZ", "??"]),
}
row_strategy = st.fixed_dictionaries(plausible).map(lambda d: [d[name] for name in HEADER])


def run(data: bytes, fmt: str, storage_form: bool = False, **options: object) -> list[FeedChunk] | None:
    try:
        return list(parse_feed(io.BytesIO(data), fmt, FeedOptions(**options),  # type: ignore[arg-type]
                               storage_form=storage_form))
    except FeedFormatError as exc:
        assert str(exc)
        return None


def check_accounting(chunks: list[FeedChunk], expected_lines: list[int]) -> None:
    offers = [o for c in chunks for o in c.offers]
    rejects = [r for c in chunks for r in c.rejects]
    stored = [line for c in chunks for line in c.stored_lines]
    assert all(len(c.stored) == len(c.stored_lines) for c in chunks)
    assert sorted([o.line for o in offers] + [r.line for r in rejects] + stored) == expected_lines
    assert all(r.reason and r.field for r in rejects)
    assert len({o.sku for o in offers}) == len(offers)
    for offer in offers:
        assert offer.sku and offer.sku == offer.sku.strip()
        assert offer.quantity >= 0 and isinstance(offer.cost, Decimal) and offer.cost > 0
        assert offer.shipping_cost is None or offer.shipping_cost >= 0


def csv_bytes(rows: list[list[str]], delimiter: str) -> tuple[bytes, list[int]]:
    """The CSV file and the physical line where each non-blank record starts."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    lines: list[int] = []
    line = 2
    for row in rows:
        start = out.tell()
        writer.writerow(row)
        record = out.getvalue()[start:]
        if any(field.strip() for field in row):
            lines.append(line)
        line += len(io.StringIO(record, newline="").readlines())
    return out.getvalue().encode("utf-8", "surrogatepass"), lines


@FUZZ
@given(st.lists(row_strategy, max_size=40), st.sampled_from([",", ";", "|", "\t"]))
def test_csv_every_row_is_accepted_or_rejected(rows: list[list[str]], delimiter: str) -> None:
    data, lines = csv_bytes(rows, delimiter)
    chunks = run(data, "csv", currency="USD", chunk_rows=7, delimiter=delimiter)
    assert chunks is not None
    check_accounting(chunks, lines)


@FUZZ
@given(st.lists(st.lists(text_field, min_size=8, max_size=8), max_size=30))
def test_csv_arbitrary_text_fields(rows: list[list[str]]) -> None:
    data, lines = csv_bytes(rows, ",")
    chunks = run(data, "csv", currency="EUR", delimiter=",")
    assert chunks is not None
    check_accounting(chunks, lines)


@FUZZ
@given(st.binary(max_size=400))
def test_csv_binary_garbage_never_crashes(data: bytes) -> None:
    chunks = run(b"sku,qty,price\n" + data, "csv", currency="USD")
    if chunks is not None:
        assert all(r.reason for c in chunks for r in c.rejects)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["auto", "csv", "gmc-tsv", "gmc-xml", "json", "jsonl"]))
def test_any_bytes_in_any_format_never_crash(data: bytes, fmt: str) -> None:
    chunks = run(data, fmt)
    if chunks is not None:
        assert all(r.reason for c in chunks for r in c.rejects)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text_field,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text_field, children, max_size=3),
    max_leaves=8,
)
json_items = st.one_of(
    st.fixed_dictionaries(
        {
            "sku": plausible["sku"],
            "qty": plausible["quantity"],
            "price": plausible["price"],
            "currency": plausible["currency"],
        }
    ),
    st.fixed_dictionaries({"id": json_values, "quantity": json_values, "price": json_values}),
    json_values,
)


@FUZZ
@given(st.lists(json_items, max_size=30), st.booleans())
def test_json_array_every_item_is_accepted_or_rejected(items: list[object], pretty: bool) -> None:
    data = json.dumps(items, indent=2 if pretty else None).encode("utf-8", "surrogatepass")
    chunks = run(data, "json", currency="USD", chunk_rows=5)
    assert chunks is not None
    check_accounting(chunks, list(range(1, len(items) + 1)))


@FUZZ
@given(st.lists(json_items, max_size=30))
def test_json_lines_every_line_is_accepted_or_rejected(items: list[object]) -> None:
    data = "".join(json.dumps(item) + "\n" for item in items).encode("utf-8", "surrogatepass")
    chunks = run(data, "jsonl", currency="USD")
    assert chunks is not None
    check_accounting(chunks, list(range(1, len(items) + 1)))


@FUZZ
@given(st.lists(json_items, min_size=1, max_size=10), st.data())
def test_truncated_json_keeps_a_prefix_and_never_crashes(items: list[object], data: st.DataObject) -> None:
    raw = json.dumps(items).encode("utf-8", "surrogatepass")
    cut = data.draw(st.integers(0, len(raw)))
    chunks = run(raw[:cut], "json", currency="USD")
    if chunks is not None:
        rows = [o.line for c in chunks for o in c.offers] + [r.line for c in chunks for r in c.rejects]
        assert len(rows) <= len(items) + 1


@FUZZ
@given(
    st.lists(st.fixed_dictionaries({k: plausible[k] for k in ("sku", "price", "gtin")}), max_size=12),
    st.data(),
)
def test_xml_truncated_anywhere_never_crashes(items: list[dict[str, str]], data: st.DataObject) -> None:
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><g:id>{escape(i['sku'])}</g:id><g:price>{escape(i['price'])}</g:price>"
        f"<g:gtin>{escape(i['gtin'])}</g:gtin><g:availability>in stock</g:availability></item>"
        for i in items
    )
    raw = f'<rss xmlns:g="http://base.google.com/ns/1.0"><channel>{body}</channel></rss>'.encode()
    full = run(raw, "gmc-xml", currency="USD")
    assert full is not None
    check_accounting(full, list(range(1, len(items) + 1)))
    cut = data.draw(st.integers(0, len(raw)))
    run(raw[:cut], "gmc-xml", currency="USD")
    run(gzip.compress(raw)[:cut], "auto")


@FUZZ
@given(st.lists(row_strategy, min_size=1, max_size=60), st.integers(1, 40))
def test_fast_path_gives_exactly_the_per_row_results(rows: list[list[str]], chunk_rows: int) -> None:
    data, _ = csv_bytes(rows, ",")

    def results() -> list[tuple[object, ...]]:
        chunks = run(data, "csv", currency="USD", chunk_rows=chunk_rows)
        assert chunks is not None
        return [(tuple(c.offers), tuple(c.rejects), tuple(c.warnings)) for c in chunks]

    fast = results()
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(fastpath, "validate_batch", lambda *args: None)
        slow = results()
    finally:
        mp.undo()
    assert fast == slow


def test_fast_path_is_taken_for_clean_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bool] = []
    original = fastpath.validate_batch

    def spy(*args: object) -> object:
        result = original(*args)  # type: ignore[arg-type]
        taken.append(result is not None)
        return result

    monkeypatch.setattr(fastpath, "validate_batch", spy)
    rows = "".join(f"S{i},{i},1.{i % 100:02d},USD,4.95,4006381333931\n" for i in range(1200))
    chunks = run(("sku,qty,price,currency,shipping,gtin\n" + rows).encode(), "csv")
    assert chunks is not None and sum(c.rows for c in chunks) == 1200
    assert taken == [True, True, True]
    assert csv_feed.BATCH_ROWS == 500


# Amounts as feeds write them (plain, 0-5 decimals, up to far too large) and the edges that the
# text-to-units conversion must judge exactly as Decimal and the row-by-row path do.
def plain_amount(places: int) -> st.SearchStrategy[str]:
    units = st.one_of(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(1, 10**17))
    return units.map(lambda n: f"{n / 10**places:.{places}f}" if places else str(n))


amount_edges = st.sampled_from([
    "0", "0.0001", "0.00001", "1.50000", "007.50", ".5", "5.", " 4.95", "4.95 ", "+1.00", "1,50", "1.2.3",
    "1_000.00", "\u0663.\u0665\u0660", "\uff11.\uff10\uff10", "1e3", "1E+3", "", " ", ".", "+.5", "1.00,2.00",
    "1000000000000", "1000000000000.0001", "999999999999.9999", "0" * 5000 + "1", "1" * 5000, "15.00 USD",
])


def clean_row(places: int) -> st.SearchStrategy[list[str]]:
    """A valid row (amounts with `places` decimals), so that whole batches take the fast path."""
    price = st.one_of(plain_amount(places), plain_amount(places).map(lambda t: "00" + t))
    return st.fixed_dictionaries({
        "sku": st.from_regex(r"[A-Z]{1,3}-[0-9]{1,5}", fullmatch=True),
        "title": st.one_of(text_field, st.sampled_from(["x" * 1001, "  padded  ", " ", ""])),
        "quantity": st.integers(0, 60).map(str),
        "price": price,
        "currency": st.sampled_from(["USD", "usd", "EUR"]),
        "shipping": st.one_of(st.sampled_from(["", "4.95", "0", "0.50"]), price),
        "gtin": st.sampled_from(["", "4006381333931", "96385074", " 036000291452 "]),
        "country": st.sampled_from(["", "", "US", "us,ca"]),
    }).map(lambda d: [d[name] for name in HEADER])


def with_edge(rows: list[list[str]], edge: str, index: int, column: int) -> list[list[str]]:
    """`rows` with one price, shipping or SKU replaced by an edge case."""
    rows[index % len(rows)][column] = edge
    return rows


clean_rows = st.integers(0, 4).flatmap(lambda places: st.lists(clean_row(places), min_size=1, max_size=60))
feed_rows = st.one_of(
    clean_rows,
    st.builds(with_edge, clean_rows, amount_edges, st.integers(0, 59), st.sampled_from([3, 3, 5])),
    st.builds(with_edge, clean_rows, st.just("S" * 256), st.integers(0, 59), st.just(0)),
    st.lists(st.one_of(clean_row(2), row_strategy), min_size=1, max_size=60),
)


def typed(params: tuple[object, ...]) -> tuple[tuple[str, object], ...]:
    """Each value with its type: ``Decimal(5) == 5``, so equality alone would hide a wrong type."""
    return tuple((type(value).__name__, value) for value in params)


def stored_results(chunks: list[FeedChunk]) -> list[tuple[object, ...]]:
    """Per chunk: accepted rows in storage form by line (fast rows as given, the others through
    `to_params` one by one), every reject (the parser's and to_params's) and the warnings."""
    results = []
    for chunk in chunks:
        rejects: list[RowReject] = list(chunk.rejects)
        accepted = {line: typed(params) for line, params in zip(chunk.stored_lines, chunk.stored, strict=True)}
        for offer in chunk.offers:
            params = to_params([offer], rejects)
            if params:
                accepted[offer.line] = typed(params[0])
        rejects.sort(key=lambda r: (r.line, r.field))
        results.append((sorted(accepted.items()), tuple(rejects), tuple(chunk.warnings)))
    return results


@FUZZ
@given(feed_rows, st.integers(1, 40), st.booleans())
def test_storage_fast_path_gives_exactly_to_params_of_the_per_row_results(
    rows: list[list[str]], chunk_rows: int, with_currency: bool
) -> None:
    data, lines = csv_bytes(rows, ",")
    options: dict[str, object] = {"currency": "USD"} if with_currency else {}

    def results() -> list[tuple[object, ...]]:
        chunks = run(data, "csv", storage_form=True, chunk_rows=chunk_rows, **options)
        assert chunks is not None
        check_accounting(chunks, lines)
        return stored_results(chunks)

    fast = results()
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(fastpath, "store_batch", lambda *args: None)
        slow = results()
    finally:
        mp.undo()
    assert fast == slow


def test_storage_fast_path_is_taken_for_clean_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bool] = []
    original = fastpath.store_batch

    def spy(*args: object) -> object:
        result = original(*args)  # type: ignore[arg-type]
        taken.append(result is not None)
        return result

    monkeypatch.setattr(fastpath, "store_batch", spy)
    rows = "".join(f"S{i},{i % 7},{i + 1}.{i % 100:02d},USD,{'4.95' if i % 2 else ''},4006381333931,DE\n"
                   for i in range(1200))
    chunks = run(("sku,qty,price,currency,shipping,gtin,countries\n" + rows).encode(), "csv", storage_form=True)
    assert chunks is not None and sum(c.rows for c in chunks) == 1200
    assert taken == [True, True, True]
    assert not any(c.offers for c in chunks)
    assert [line for c in chunks for line in c.stored_lines] == list(range(2, 1202))
    assert chunks[-1].stored[-2:] == [
        ("S1198", None, "4006381333931", 1199_9800, None, "USD", 1198 % 7, '["DE"]'),
        ("S1199", None, "4006381333931", 1200_9900, 4_9500, "USD", 1199 % 7, '["DE"]'),
    ]
