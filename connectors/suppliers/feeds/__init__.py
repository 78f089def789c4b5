"""Supplier feed parsers: CSV, Google Merchant XML/TSV, JSON array, JSON Lines.

The importer calls `parse_feed(stream, fmt, options)` and writes each `FeedChunk` with one
set-based statement. See `api` for the contract and each format's module for its conventions.
"""

from connectors.suppliers.feeds.api import FORMATS, detect_format, parse_feed
from connectors.suppliers.feeds.base import FeedChunk, FeedFormatError, FeedTooLarge, Readable, check_size
from hub.domain.catalogue import FeedOptions, OfferRow, RowReject, RowWarning

__all__ = [
    "FORMATS",
    "FeedChunk",
    "FeedFormatError",
    "FeedOptions",
    "FeedTooLarge",
    "OfferRow",
    "Readable",
    "RowReject",
    "RowWarning",
    "check_size",
    "detect_format",
    "parse_feed",
]
