"""The parsers' entry point: `parse_feed` and `detect_format`.

`parse_feed` never lets anything but `FeedFormatError` out, and that only when no row could be
read at all (wrong format, binary data, unreadable header). A feed that breaks after some rows
(truncated XML, invalid JSON mid-array, a corrupt gzip tail) keeps the rows before the break and
ends with a reject in field ``feed`` on a chunk marked `FeedChunk.ended_early`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from connectors.suppliers.feeds.base import ByteSource, ChunkBuilder, FeedChunk, FeedFormatError, Readable
from connectors.suppliers.feeds.csv_feed import parse_csv
from connectors.suppliers.feeds.gmc_xml import parse_gmc_xml
from connectors.suppliers.feeds.json_feed import parse_json_array, parse_jsonl
from connectors.suppliers.feeds.text import looks_binary
from hub.domain.catalogue import FeedOptions, RowReject, RowValidator

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("csv", "gmc-tsv", "gmc-xml", "json", "jsonl")
_GMC_TSV_HINTS = frozenset(("id", "title", "price", "availability", "link"))


def detect_format(head: bytes) -> str:
    """Guess the format from the first bytes of a feed (for ``--format auto``).

    ``<`` → gmc-xml; ``[`` → json; ``{`` → jsonl; text whose first line is TAB-separated Google
    attribute names (``id``, ``title``, ``price``…) → gmc-tsv; other text → csv.
    Raises FeedFormatError for binary data.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2].decode("utf-16", "ignore").encode()
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"\x1f\x8b"):
        raise FeedFormatError("the feed is gzip-compressed: decompress it or pass it to parse_feed")
    if not text:
        raise FeedFormatError("the feed is empty")
    if looks_binary(text[:4096]):
        raise FeedFormatError("binary data, not a feed")
    first = text[:1]
    if first == b"<":
        return "gmc-xml"
    if first == b"[":
        return "json"
    if first == b"{":
        return "jsonl"
    header = text.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    if "\t" in header:
        names = {name.strip().removeprefix("g:") for name in header.split("\t")}
        if len(names & _GMC_TSV_HINTS) >= 2:
            return "gmc-tsv"
    return "csv"


def parse_feed(
    stream: Readable, fmt: str = "auto", options: FeedOptions | None = None, *, storage_form: bool = False
) -> Iterator[FeedChunk]:
    """Parse a binary feed stream (plain or gzip) into chunks of validated rows.

    `fmt` is one of `FORMATS` or ``auto``. Chunks hold at most `FeedOptions.chunk_rows` rows;
    only the SKUs seen so far grow with the feed. Raises `FeedFormatError` (possibly on the first
    ``next()``) when the feed cannot be read at all. With `storage_form`, accepted rows may come
    in `FeedChunk.stored` (already as ``to_params`` would make them) rather than as `OfferRow`s:
    the CSV fast path then skips building OfferRows and Decimals (the importer's choice).
    """
    options = options or FeedOptions()
    if fmt != "auto" and fmt not in FORMATS:
        raise FeedFormatError(f"unknown format {fmt!r}; expected auto or one of {', '.join(FORMATS)}")
    return _parse(stream, fmt, options, storage_form)


def _parse(stream: Readable, fmt: str, options: FeedOptions, storage_form: bool) -> Iterator[FeedChunk]:
    source = ByteSource(stream)
    if fmt == "auto":
        fmt = detect_format(source.head)
        logger.info("feed format detected: %s", fmt)
    builder = ChunkBuilder(RowValidator(options), options.chunk_rows, storage_form=storage_form)
    if fmt in ("csv", "gmc-tsv"):
        parser = parse_csv(source, builder, options, tsv=fmt == "gmc-tsv")
    elif fmt == "gmc-xml":
        parser = parse_gmc_xml(source, builder, options)
    elif fmt == "json":
        parser = parse_json_array(source, builder, options)
    else:
        parser = parse_jsonl(source, builder, options)
    try:
        yield from parser
    except Exception as exc:
        error = exc if isinstance(exc, FeedFormatError) else None
        if error is None:
            logger.exception("feed parser failed unexpectedly (%s)", fmt)
            error = FeedFormatError(f"unreadable {fmt} feed: {type(exc).__name__}: {exc}")
        if builder.total + builder.pending() == 0:
            raise error from exc
        line = error.line if error.line is not None else builder.pending_last_line() + 1
        builder.rejects.append(RowReject(line, "feed", str(error)))
        logger.warning("feed ended early at line %s: %s", line, error)
        yield builder.flush(ended_early=True)
        return
    if builder.pending() or builder.validator.warnings or builder.total == 0:
        yield builder.flush()
