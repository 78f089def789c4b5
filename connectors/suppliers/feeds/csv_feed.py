"""CSV and Google Merchant TSV feeds.

The delimiter is sniffed among ``, ; | TAB`` from the header line (the most frequent wins, ties in
that order) unless `FeedOptions.delimiter` forces it; Google Merchant TSV is always TAB. Fields may
be quoted and contain delimiters and newlines.

Line numbers are physical lines of the file, 1-based, the header being line 1 (or wherever it
is after leading blank lines): a record is reported at the line where it starts, even when a
quoted field spans several lines. Blank lines and rows whose fields are all blank are skipped,
not rejected. A row with fewer fields than the header is rejected; extra trailing fields are
accepted when blank (spreadsheets pad rows), rejected otherwise.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from itertools import chain
from operator import itemgetter

from connectors.suppliers.feeds import fastpath
from connectors.suppliers.feeds.base import ByteSource, ChunkBuilder, FeedChunk, FeedFormatError
from connectors.suppliers.feeds.mapping import require_columns, resolve
from connectors.suppliers.feeds.text import LineSource, iter_text
from hub.domain.catalogue import FIELDS, FeedOptions, OfferRow, RowReject

logger = logging.getLogger(__name__)

DELIMITERS = (",", ";", "|", "\t")
BATCH_ROWS = 500  # rows validated together on the fast path (see fastpath.py)


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often in the header line (``,`` when none does)."""
    best, best_count = ",", 0
    for candidate in DELIMITERS:
        count = header_line.count(candidate)
        if count > best_count:
            best, best_count = candidate, count
    return best


def parse_csv(
    source: ByteSource, builder: ChunkBuilder, options: FeedOptions, *, tsv: bool = False
) -> Iterator[FeedChunk]:
    """Yield full chunks of validated rows; the caller flushes the last one."""
    lines = LineSource(iter_text(source, options.encoding), options.max_row_bytes)
    blocks = iter(lines)
    first = next(blocks, None)
    if first is None:
        raise FeedFormatError("the feed is empty")
    delimiter = options.delimiter or ("\t" if tsv else None)
    if delimiter is None:
        header_line = next((line for line in first if line.strip()), first[0])
        delimiter = sniff_delimiter(header_line)
    reader = csv.reader(chain(first, chain.from_iterable(blocks)), delimiter=delimiter, strict=False)

    header: list[str] = []
    for row in reader:
        if any(name.strip() for name in row):
            header = row
            break
    if lines.too_long and min(lines.too_long) <= reader.line_num:
        raise FeedFormatError(f"the header is longer than {options.max_row_bytes} bytes", line=1)
    if not header:
        return
    found = resolve(header, options.columns)
    require_columns(found, header)
    ncols = len(header)
    logger.debug("csv feed: delimiter %r, columns %s", delimiter, found)
    getter = itemgetter(*[found.get(name, ncols) for name in FIELDS])
    validator = builder.validator
    validate = validator.validate
    fast = fastpath.supported(found)
    storage_form = builder.storage_form
    batch_size = min(BATCH_ROWS, options.chunk_rows)
    batch_rows: list[list[str]] = []
    batch_lines: list[int] = []

    def run_batch() -> None:
        if fast and storage_form:
            stored = fastpath.store_batch(validator, batch_lines, batch_rows, found)
            done = stored is not None
            if stored:
                builder.add_stored(batch_lines, stored)
        elif fast:
            offers = fastpath.validate_batch(validator, batch_lines, batch_rows, found)
            done = offers is not None
            if offers:
                builder.offers.extend(offers)
        else:
            done = False
        if not done:
            for line, row in zip(batch_lines, batch_rows, strict=True):
                row.append("")
                item = validate(line, *getter(row))
                if item.__class__ is not OfferRow and not "".join(row).strip():
                    continue
                builder.add(item)
        batch_rows.clear()
        batch_lines.clear()

    too_long = lines.too_long
    row_limit = options.max_row_bytes
    prev = reader.line_num
    while True:
        try:
            for row in reader:
                line = prev + 1
                prev = reader.line_num
                if len(row) == ncols and prev == line:
                    batch_rows.append(row)
                    batch_lines.append(line)
                    if len(batch_rows) >= batch_size:
                        run_batch()
                        if builder.pending() >= builder.size:
                            yield builder.flush()
                    continue
                run_batch()
                odd = _odd_row(row, line, prev, ncols, too_long, row_limit)
                if odd is None:
                    continue
                if odd.__class__ is RowReject:
                    builder.add(odd)
                else:
                    batch_rows.append(odd)  # type: ignore[arg-type]
                    batch_lines.append(line)
                    run_batch()
                if builder.pending() >= builder.size:
                    yield builder.flush()
            run_batch()
            return
        except csv.Error as exc:
            run_batch()
            line = prev + 1
            prev = reader.line_num
            builder.add(RowReject(line, "row", f"malformed CSV: {exc}"))


def _odd_row(
    row: list[str], line: int, end: int, ncols: int, too_long: set[int], limit: int
) -> RowReject | list[str] | None:
    """The rare rows: blank, overlong, multi-line, ragged. None = skip; a list = validate it."""
    if too_long and any(n in too_long for n in range(line, end + 1)):
        return RowReject(line, "row", f"row longer than {limit} bytes")
    if not row or not "".join(row).strip():
        return None
    if len(row) < ncols:
        return RowReject(line, "row", f"row has {len(row)} fields, header has {ncols}")
    if len(row) > ncols:
        if "".join(row[ncols:]).strip():
            return RowReject(line, "row", f"row has {len(row)} fields, header has {ncols}")
        del row[ncols:]
    return row
