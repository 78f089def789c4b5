"""Bytes → text → physical lines, streamed, with bounded memory.

Encoding: a BOM decides (UTF-8 or UTF-16); otherwise UTF-8 when the first 64 KiB are valid UTF-8,
else Windows-1252. When UTF-8 was chosen but a later byte sequence is not UTF-8, just that
sequence is read as Windows-1252 (so a mostly-UTF-8 export with one cp1252 "Café" still reads).

Lines are split on ``\\r``, ``\\n`` and ``\\r\\n`` only (not on U+2028 and friends, which are
data inside a CSV field) and keep their terminators, as the csv module expects. A line longer than
the row limit is never held in memory: it is replaced by an empty line and its number recorded in
`LineSource.too_long`, so the line count (and every later line number) stays right.
"""

from __future__ import annotations

import codecs
import io
import logging
from collections.abc import Iterator

from connectors.suppliers.feeds.base import READ_SIZE, ByteSource, FeedFormatError

logger = logging.getLogger(__name__)

_FALLBACK_ERRORS = "hub-feed-cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)


def looks_binary(head: bytes) -> bool:
    """More than 10% NUL bytes: binary data or BOM-less UTF-16 (a stray NUL in text is just data)."""
    return head.count(b"\x00") * 10 > len(head)


def choose_encoding(head: bytes, forced: str | None = None) -> tuple[str, str]:
    """(codec, error handler) for a feed whose first bytes are `head`."""
    if forced:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise FeedFormatError(f"unknown encoding {forced!r}") from None
        return forced, "replace"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _FALLBACK_ERRORS
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "replace"
    if looks_binary(head):
        raise FeedFormatError("binary data, not a text feed (NUL bytes and no UTF-16 byte-order mark)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        logger.info("feed is not UTF-8; reading it as Windows-1252")
        return "cp1252", "replace"
    return "utf-8-sig", _FALLBACK_ERRORS


def iter_text(source: ByteSource, forced_encoding: str | None = None) -> Iterator[str]:
    """Decoded text blocks of about `READ_SIZE` characters."""
    codec, errors = choose_encoding(source.head, forced_encoding)
    decoder = codecs.getincrementaldecoder(codec)(errors)
    while True:
        data = source.read(READ_SIZE)
        text = decoder.decode(data, final=not data)
        if text:
            yield text
        if not data:
            return


class LineSource:
    """Physical lines of a text feed in lists (one list per text block), with overlong lines blanked."""

    def __init__(self, blocks: Iterator[str], max_row_bytes: int) -> None:
        self._blocks = blocks
        self.max_row_bytes = max_row_bytes
        self.too_long: set[int] = set()
        self.lines_read = 0

    def _blank_overlong(self, lines: list[str]) -> None:
        limit = self.max_row_bytes
        for i, line in enumerate(lines):
            if len(line) > limit // 4 and len(line.encode("utf-8", "surrogatepass")) > limit:
                lines[i] = "\n"
                self.too_long.add(self.lines_read + i + 1)

    def __iter__(self) -> Iterator[list[str]]:
        carry = ""
        skipping = False  # inside an overlong line already blanked: drop text up to its end
        char_limit = self.max_row_bytes // 4
        for text in self._blocks:
            if skipping:
                cut = min((p for p in (text.find("\n"), text.find("\r")) if p >= 0), default=-1)
                if cut < 0:
                    continue
                text = text[cut:]
                text = text[2:] if text.startswith("\r\n") else text[1:]
                skipping = False
                if not text:
                    continue
            if carry:
                text = carry + text
                carry = ""
            lines = io.StringIO(text, newline="").readlines()
            last = lines[-1]
            if last[-1] != "\n":  # incomplete, or "\r" that a "\n" may follow in the next block
                carry = lines.pop()
                if len(carry) > self.max_row_bytes:
                    lines.append("\n")
                    skipping, carry = not carry.endswith("\r"), ""
                    self.too_long.add(self.lines_read + len(lines))
            if lines:
                if max(map(len, lines)) > char_limit:
                    self._blank_overlong(lines)
                self.lines_read += len(lines)
                yield lines
        if carry and not skipping:
            lines = [carry]
            self._blank_overlong(lines)
            self.lines_read += 1
            yield lines
