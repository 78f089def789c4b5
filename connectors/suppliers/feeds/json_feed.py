"""JSON array and JSON Lines feeds, streamed.

A JSON array is read item by item with `json.JSONDecoder.raw_decode` over a sliding text window
(never `json.load` of the whole document); numbers with a fraction are parsed as `Decimal`, so
prices stay exact. Each item must be an object; its keys are mapped like CSV headers. A price may
also be an object ``{"amount"|"value": …, "currency"|"currency_code": …}``; a list of countries is
accepted for ``countries``.

Line numbers: for a JSON array, the **item number** (1-based position in the array); for JSON
Lines, the physical line. An invalid JSON Lines line is rejected and parsing goes on; invalid
JSON inside an array ends the feed there (nothing after it can be located reliably).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from itertools import chain
from typing import Any

from connectors.suppliers.feeds.base import ByteSource, ChunkBuilder, FeedChunk, FeedFormatError
from connectors.suppliers.feeds.mapping import resolve
from connectors.suppliers.feeds.text import LineSource, iter_text
from hub.domain.catalogue import FIELDS, FeedOptions, OfferRow, RowReject

logger = logging.getLogger(__name__)

_WHITESPACE = " \t\n\r"
_KEY_CACHE_LIMIT = 1024


class _ObjectMapper:
    """Maps a JSON object's keys to fields; the resolution is cached per key set."""

    def __init__(self, options: FeedOptions) -> None:
        self._overrides = options.columns
        self._cache: dict[tuple[str, ...], list[str | None]] = {}

    def values(self, obj: dict[str, Any]) -> list[str]:
        keys = tuple(obj)
        names = self._cache.get(keys)
        if names is None:
            try:
                found = resolve(keys, self._overrides)
            except FeedFormatError:
                found = resolve(keys, {})  # an object without the mapped key: that field is absent
            names = [keys[found[name]] if name in found else None for name in FIELDS]
            if len(self._cache) < _KEY_CACHE_LIMIT:
                self._cache[keys] = names
        return [_text(obj[key]) if key is not None else "" for key in names]


def _text(value: Any) -> str:
    """A JSON value as the raw text the validator judges."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, dict):
        amount = value.get("amount", value.get("value"))
        currency = value.get("currency", value.get("currency_code", ""))
        if amount is not None and isinstance(currency, str):
            return f"{_text(amount)} {currency}".strip()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, default=str)[:200]


def _object_row(obj: Any, line: int, mapper: _ObjectMapper, builder: ChunkBuilder) -> OfferRow | RowReject:
    if not isinstance(obj, dict):
        return RowReject(line, "row", f"item is a JSON {type(obj).__name__}, not an object")
    return builder.validator.validate(line, *mapper.values(obj))


def parse_jsonl(source: ByteSource, builder: ChunkBuilder, options: FeedOptions) -> Iterator[FeedChunk]:
    """One JSON object per line; blank lines skipped; a bad line is rejected, the rest goes on."""
    lines = LineSource(iter_text(source, options.encoding), options.max_row_bytes)
    decode = json.JSONDecoder(parse_float=Decimal).decode
    mapper = _ObjectMapper(options)
    line_no = 0
    for text in chain.from_iterable(lines):
        line_no += 1
        if line_no in lines.too_long:
            reason = f"row longer than {options.max_row_bytes} bytes"
            item: OfferRow | RowReject = RowReject(line_no, "row", reason)
        elif not text.strip():
            continue
        else:
            try:
                obj = decode(text)
            except ValueError as exc:
                item = RowReject(line_no, "row", f"invalid JSON: {getattr(exc, 'msg', exc)}")
            else:
                item = _object_row(obj, line_no, mapper, builder)
        if builder.add(item):
            yield builder.flush()


def parse_json_array(source: ByteSource, builder: ChunkBuilder, options: FeedOptions) -> Iterator[FeedChunk]:
    """A top-level array of objects, decoded one item at a time."""
    blocks = iter_text(source, options.encoding)
    raw_decode = json.JSONDecoder(parse_float=Decimal).raw_decode
    mapper = _ObjectMapper(options)
    buf = ""
    pos = 0
    eof = False

    def more() -> bool:
        nonlocal buf, pos, eof
        block = next(blocks, None)
        if block is None:
            eof = True
            return False
        buf = buf[pos:] + block
        pos = 0
        return True

    def skip_ws() -> str:
        """The next non-blank character (reading more text as needed), or "" at the end."""
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            if pos < len(buf):
                return buf[pos]
            if not more():
                return ""

    if skip_ws() != "[":
        raise FeedFormatError("a JSON feed must be an array of objects (or use JSON Lines)", line=1)
    pos += 1
    index = 0
    while True:
        char = skip_ws()
        if char == "]":
            pos += 1
            if skip_ws():
                raise FeedFormatError("unexpected data after the end of the JSON array", line=index + 1)
            return
        if index:
            if char != ",":
                raise FeedFormatError(f"invalid JSON after item {index}: expected ',' or ']'", line=index + 1)
            pos += 1
            char = skip_ws()
        if not char:
            raise FeedFormatError(f"the JSON array ends early, after item {index}", line=index + 1)
        index += 1
        while True:
            try:
                obj, end = raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                if len(buf) - pos > options.max_row_bytes:
                    raise FeedFormatError(
                        f"item {index} is invalid JSON or longer than {options.max_row_bytes} bytes",
                        line=index,
                    ) from exc
                if eof or not more():
                    raise FeedFormatError(f"invalid JSON in item {index}: {exc.msg}", line=index) from exc
        pos = end
        if builder.add(_object_row(obj, index, mapper, builder)):
            yield builder.flush()
        if pos > 1 << 20:
            buf, pos = buf[pos:], 0
