"""Google Merchant Center RSS 2.0 (and Atom) XML feeds, streamed.

Parsed with defusedxml's `iterparse` (expat, fed block by block, so a read error or a parse error
keeps the items before it); each ``<item>``/``<entry>`` is dropped from its parent once read, so
memory stays at one item. Attributes are read in the ``g:``
namespace (``http://base.google.com/ns/1.0``), or without namespace, or in Atom's.

Line numbers are **item numbers** (1-based order of ``<item>`` in the feed), not source lines:
many feeds are one physical line. Price: ``g:sale_price`` wins over ``g:price`` when present.
Shipping: every ``g:shipping`` gives a country and a price; the offer ships to those countries
and its shipping cost is the highest of the prices (never overstate margin), with a warning when
they differ. Quantity comes from ``g:quantity``/``g:sell_on_google_quantity`` when present,
else from ``g:availability``.

Warnings (offer kept): a missing GTIN without ``identifier_exists`` = no/false (Google disapproves
such products), and an ``image_link`` that is missing or points at no file (a placeholder).

Security: any DTD is refused — a ``<!DOCTYPE``, entity declarations, external entities — by the
parser itself (defusedxml, `forbid_dtd`), so it holds whatever the encoding (UTF-16, a BOM, an
encoding declaration): no feed needs one, and it is the door to entity-expansion attacks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError, iterparse

from connectors.suppliers.feeds.base import READ_SIZE, ByteSource, ChunkBuilder, FeedChunk, FeedFormatError
from hub.domain.catalogue import FeedOptions, OfferRow, RowReject

logger = logging.getLogger(__name__)

G_NS = "http://base.google.com/ns/1.0"
_NAMESPACES = frozenset(("", G_NS, "http://www.w3.org/2005/Atom"))
_ITEM_TAGS = frozenset(("item", "entry"))
_ROOT_TAGS = frozenset(("rss", "feed", "channel"))
_NO_IDENTIFIER = frozenset(("no", "false", "n", "0"))


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


_LOCAL_NAMES: dict[str, str] = {}


def _local(tag: str) -> str:
    """Local name of a tag in an accepted namespace, "" otherwise (cached: feeds use few tags)."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        ns, local = _split(tag)
        name = local if ns in _NAMESPACES else ""
        if len(_LOCAL_NAMES) < 4096:
            _LOCAL_NAMES[tag] = name
    return name


def parse_gmc_xml(source: ByteSource, builder: ChunkBuilder, options: FeedOptions) -> Iterator[FeedChunk]:
    """Yield full chunks of validated items; the caller flushes the last one."""
    parser = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    events = iterparse(_Blocks(source), events=("start", "end"), parser=parser)
    stack: list[Element] = []
    index = 0
    in_prolog = True
    try:
        for event, elem in events:
            if event == "start":
                if in_prolog:
                    in_prolog = False
                    root = _split(elem.tag)[1]
                    if root not in _ROOT_TAGS:
                        raise FeedFormatError(f"<{root}> is not an RSS or Atom feed", line=1)
                stack.append(elem)
                continue
            stack.pop()
            if _local(elem.tag) not in _ITEM_TAGS:
                continue
            index += 1
            full = builder.add(_item(elem, index, builder, options))
            if stack:
                del stack[-1][:]
            if full:
                yield builder.flush()
    except DefusedXmlException as exc:
        raise FeedFormatError("XML with a DOCTYPE is refused: a DTD, entity declarations and external entities "
                              f"are not allowed in a feed ({type(exc).__name__})", line=index + 1) from None
    except ParseError as exc:
        where = f"in item {index + 1}" if index or not in_prolog else "before the first item"
        raise FeedFormatError(f"malformed XML {where}: {exc}", line=index + 1) from exc


class _Blocks:
    """The byte source as the file object `iterparse` reads (in blocks of its own size)."""

    def __init__(self, source: ByteSource) -> None:
        self._source = source

    def read(self, size: int = READ_SIZE) -> bytes:
        return self._source.read(max(size, READ_SIZE))


def _item(elem: Element, index: int, builder: ChunkBuilder, options: FeedOptions) -> OfferRow | RowReject:
    values: dict[str, str] = {}
    shipping: list[tuple[str, str]] = []
    size = 0
    for child in elem:
        local = _local(child.tag)
        if not local:
            continue
        if local == "shipping":
            country = price = ""
            for part in child:
                part_local = _local(part.tag)
                if part_local == "country":
                    country = (part.text or "").strip()
                elif part_local == "price":
                    price = (part.text or "").strip()
            shipping.append((country, price))
            continue
        text = child.text or ""
        size += len(text)
        values.setdefault(local, text.strip())
    sku = values.get("id", "")
    if size > options.max_row_bytes:
        return RowReject(index, "row", f"row longer than {options.max_row_bytes} bytes", sku.strip() or None)
    ship_text, countries = _shipping(shipping)
    quantity = values.get("quantity") or values.get("sell_on_google_quantity", "")
    validator = builder.validator
    result = validator.validate(
        index, sku, quantity, values.get("price", ""), values.get("sale_price", ""), "",
        ship_text, values.get("gtin", ""), values.get("title", ""), countries,
        values.get("availability", ""),
    )
    if result.__class__ is OfferRow:
        sku = sku.strip()
        if not values.get("gtin") and values.get("identifier_exists", "").lower() not in _NO_IDENTIFIER:
            validator.warn(index, "gtin", "no GTIN and identifier_exists is not 'no'", sku)
        image = values.get("image_link", "")
        if not image:
            validator.warn(index, "image_link", "image_link is missing", sku)
        elif urlsplit(image).path.strip("/") == "":
            validator.warn(index, "image_link", "image_link is a placeholder, not an image URL", sku)
        if len({price for _, price in shipping if price}) > 1:
            validator.warn(index, "shipping", "shipping differs by country; the highest is used", sku)
    return result


def _shipping(entries: list[tuple[str, str]]) -> tuple[str, str]:
    """(price text in Google's ``COUNTRY:::PRICE`` list form, countries) for the validator."""
    if not entries:
        return "", ""
    ship = ",".join(f"{country}:::{price}" for country, price in entries if price)
    countries = ",".join(country for country, _ in entries if country)
    return ship, countries
