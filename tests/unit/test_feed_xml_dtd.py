"""XML feeds with a DTD are refused by the parser itself, whatever the encoding (no byte search)."""

from __future__ import annotations

import codecs
import io

import pytest

from connectors.suppliers.feeds import FeedFormatError, parse_feed

ITEM = ('<item><g:id>{sku}</g:id><title>&e;</title><g:price>10.00 USD</g:price>'
        '<g:availability>in stock</g:availability></item>')
BODY = '<rss xmlns:g="http://base.google.com/ns/1.0"><channel>' + ITEM.format(sku="A1") + '</channel></rss>'

DTDS = {
    "internal entity": '<!DOCTYPE rss [<!ENTITY e "expanded">]>',
    "billion laughs": ('<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                       '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY e "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'),
    "external entity": '<!DOCTYPE rss [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    "external DTD": '<!DOCTYPE rss SYSTEM "http://127.0.0.1:5432/evil.dtd">',
    "parameter entity": '<!DOCTYPE rss [<!ENTITY % p "<!ENTITY e \'x\'>"> %p;]>',
}


def encode(text: str, encoding: str) -> bytes:
    """The document in `encoding`, with the BOM and declaration a producer of it would write."""
    if encoding == "utf-8-bom":
        return codecs.BOM_UTF8 + ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode()
    if encoding in ("utf-16-le", "utf-16-be"):
        bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
        return bom + ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode(encoding)
    if encoding == "latin-1":
        return ('<?xml version="1.0" encoding="ISO-8859-1"?>' + text).encode("latin-1")
    return text.encode()


ENCODINGS = ["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "latin-1"]


def rows(data: bytes) -> int:
    return sum(chunk.rows for chunk in parse_feed(io.BytesIO(data), "auto"))


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("dtd", list(DTDS))
def test_any_dtd_is_refused_in_any_encoding(dtd: str, encoding: str) -> None:
    with pytest.raises(FeedFormatError, match="DOCTYPE is refused"):
        rows(encode(DTDS[dtd] + BODY, encoding))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_same_feed_without_dtd_reads_in_every_encoding(encoding: str) -> None:
    assert rows(encode(BODY.replace("&e;", "Thing"), encoding)) == 1


def test_dtd_in_a_gzip_feed_is_refused() -> None:
    import gzip

    with pytest.raises(FeedFormatError, match="DOCTYPE is refused"):
        rows(gzip.compress(encode(DTDS["billion laughs"] + BODY, "utf-16-le")))
