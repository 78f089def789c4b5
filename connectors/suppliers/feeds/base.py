"""Shared plumbing of the feed parsers: the error type, the chunk type, and the byte source.

Every parser reads a binary file-like object (anything with ``read(n)``: a file, an upload's
spooled file, a gzip stream) through `ByteSource`, which peeks at the head for format and
encoding detection and transparently un-gzips a gzip stream.
"""

from __future__ import annotations

import gzip
import logging
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from hub.domain.catalogue import OfferRow, RowReject, RowValidator, RowWarning
from hub.domain.offer_storage import OfferParams

logger = logging.getLogger(__name__)

READ_SIZE = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"


class Readable(Protocol):
    """The one method a feed stream needs."""

    def read(self, size: int = ..., /) -> bytes: ...


class FeedFormatError(ValueError):
    """The feed (or what is left of it from `line` on) cannot be read: wrong format, broken XML/JSON,
    binary data, a corrupt gzip stream. The message is meant for the user."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class FeedTooLarge(FeedFormatError):
    """The feed, decompressed, is larger than the limit: nothing of it may be applied."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the feed is larger than the limit of {limit} bytes once decompressed "
                         f"(HUB_FEED_MAX_BYTES); nothing applied")
        self.limit = limit


class Seekable(Readable, Protocol):
    def seek(self, offset: int, whence: int = 0, /) -> int: ...


def check_size(stream: Seekable, limit: int) -> int:
    """The feed's size once decompressed, read as a stream and stopped just past `limit` (then
    FeedTooLarge, before any row is parsed: a gzip bomb costs a few milliseconds). Rewinds.

    A corrupt gzip stream is measured up to where it breaks; the parser then reports the break.
    """
    head = stream.read(len(_GZIP_MAGIC))
    stream.seek(0)
    if head != _GZIP_MAGIC:
        size = stream.seek(0, 2)
        stream.seek(0)
        if size > limit:
            raise FeedTooLarge(limit)
        return size
    total = 0
    reader = gzip.GzipFile(fileobj=stream, mode="rb")
    try:
        while block := reader.read(READ_SIZE):
            total += len(block)
            if total > limit:
                raise FeedTooLarge(limit)
    except (OSError, EOFError, zlib.error):
        logger.info("gzip stream breaks after %s bytes", total)
    finally:
        stream.seek(0)
    return total


@dataclass(slots=True)
class FeedChunk:
    """A batch of parsed rows for one set-based write (about `FeedOptions.chunk_rows` rows: CSV
    chunks may exceed it by up to one validation batch, 499 rows).

    `rows` = accepted + rejected data rows in this chunk. `ended_early` is set on the last chunk
    when the feed broke before its end (its last reject, field ``feed``, says where and why):
    rows before the break are good, but the importer should not treat the feed as complete
    (e.g. should not mark offers missing from a full feed as out of stock).

    `stored` holds accepted rows already in storage form (``to_params`` of their OfferRows), from
    line `stored_lines[i]`; only a parser asked for storage form fills it (see `parse_feed`), and
    then accepted rows are `offers` + `stored`.
    """

    offers: list[OfferRow] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    ended_early: bool = False
    stored: list[OfferParams] = field(default_factory=list)
    stored_lines: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.offers) + len(self.rejects) + len(self.stored)


class ChunkBuilder:
    """Collects rows until `size`, then hands out a `FeedChunk` (with the validator's warnings).

    `storage_form`: the consumer (the importer) takes rows in storage form, so a parser may hand
    over clean batches with `add_stored` instead of building OfferRows.
    """

    def __init__(self, validator: RowValidator, size: int, *, storage_form: bool = False) -> None:
        self.validator = validator
        self.size = size
        self.storage_form = storage_form
        self.offers: list[OfferRow] = []
        self.rejects: list[RowReject] = []
        self.stored: list[OfferParams] = []
        self.stored_lines: list[int] = []
        self.total = 0
        self.last_line = 0

    def add(self, item: OfferRow | RowReject) -> bool:
        """Add one row; True when the chunk is full and should be flushed."""
        if isinstance(item, RowReject):
            self.rejects.append(item)
        else:
            self.offers.append(item)
        return self.pending() >= self.size

    def add_stored(self, lines: list[int], rows: list[OfferParams]) -> None:
        """Add accepted rows in storage form (lines in file order, one per row)."""
        self.stored.extend(rows)
        self.stored_lines.extend(lines)

    def pending(self) -> int:
        return len(self.offers) + len(self.rejects) + len(self.stored)

    def pending_last_line(self) -> int:
        """The last line of a row added since the last flush (else the last line flushed)."""
        return max([self.last_line] + [r.line for r in self.offers[-1:]] + [r.line for r in self.rejects[-1:]]
                   + self.stored_lines[-1:])

    def flush(self, *, ended_early: bool = False) -> FeedChunk:
        chunk = FeedChunk(self.offers, self.rejects, self.validator.warnings, ended_early, self.stored,
                          self.stored_lines)
        self.total += chunk.rows
        self.last_line = self.pending_last_line()
        self.offers, self.rejects, self.validator.warnings = [], [], []
        self.stored, self.stored_lines = [], []
        return chunk


class ByteSource:
    """Reads a binary stream in blocks, with a peekable head and gzip detection.

    Errors of the underlying stream (a truncated or corrupt gzip member, an OS error) become
    `FeedFormatError`, so nothing but that escapes a parser.
    """

    def __init__(self, stream: Readable, head_size: int = 64 * 1024) -> None:
        self._stream: Readable = stream
        self._head = self._read_raw(head_size)
        if self._head.startswith(_GZIP_MAGIC):
            self._stream = gzip.GzipFile(fileobj=_Prefixed(self._head, stream), mode="rb")  # type: ignore[call-overload]
            self._head = self._read_raw(head_size)

    def _read_raw(self, size: int) -> bytes:
        try:
            data = self._stream.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise FeedFormatError(f"cannot read the feed stream: {exc}") from exc
        if not isinstance(data, bytes | bytearray):
            raise FeedFormatError("the feed stream must be binary (bytes), not text")
        return bytes(data)

    @property
    def head(self) -> bytes:
        """The first bytes of the (decompressed) feed, not consumed."""
        return self._head

    def read(self, size: int = READ_SIZE) -> bytes:
        if self._head:
            data, self._head = self._head, b""
            return data
        return self._read_raw(size)


class _Prefixed:
    """A stream with bytes already read put back in front (to hand a peeked stream to gzip)."""

    def __init__(self, prefix: bytes, stream: Readable) -> None:
        self._prefix = prefix
        self._stream = stream

    def read(self, size: int = -1, /) -> bytes:
        if self._prefix:
            if size < 0 or size >= len(self._prefix):
                data, self._prefix = self._prefix, b""
                if size < 0:
                    data += self._stream.read()
                return data
            data, self._prefix = self._prefix[:size], self._prefix[size:]
            return data
        return self._stream.read(size)
