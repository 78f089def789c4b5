"""Pull suppliers' feeds from their `feed_url`: streamed to a temporary file, conditional GET.

Only URLs the feed URL rules allow are fetched (`connectors.url_guard`): every redirect hop is
checked before it is requested, and the connection goes to the address that was checked.

The ETag and Last-Modified of the last pulled run go back as If-None-Match / If-Modified-Since;
a 304 applies nothing and records no run. A pulled feed is a full feed (a URL serves the whole
catalogue), so the truncation guard protects it like any other.
"""

from __future__ import annotations

import logging
import tempfile
import zlib
from collections.abc import Collection, Iterator
from datetime import timedelta
from typing import IO

import httpx
from sqlalchemy import select

from connectors.url_guard import UrlGuard, guarded_client
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import FeedRun, Supplier
from hub.domain.feed_urls import UrlRefused, parse_feed_url
from hub.errors import UserError
from hub.services.feed_runs import ImportSummary
from hub.services.feeds import import_feed
from hub.services.suppliers import get_supplier, url_guard

logger = logging.getLogger(__name__)

READ_BLOCK = 1 << 20
MAX_REDIRECTS = 5


class FeedPullError(UserError):
    """The feed URL answered with an error, could not be reached, or sent too much."""


def _validators(hub: Hub, supplier_id: int) -> dict[str, str]:
    """Conditional-GET headers from the last pulled run that was read (not failed)."""
    with hub.db.transaction() as session:
        run = session.execute(
            select(FeedRun).where(FeedRun.supplier_id == supplier_id, FeedRun.source == "url",
                                  FeedRun.status.in_(("applied", "suspect", "discarded")))
            .order_by(FeedRun.id.desc()).limit(1)
        ).scalar_one_or_none()
        headers: dict[str, str] = {}
        if run is not None and run.etag:
            headers["If-None-Match"] = run.etag
        if run is not None and run.last_modified:
            headers["If-Modified-Since"] = run.last_modified
        return headers


def pull_feed(hub: Hub, code: str, client: httpx.Client | None = None) -> ImportSummary | None:
    """Pull and import one supplier's feed; None when the server says it has not changed (304).

    A pull that fails (URL refused, HTTP error, unreachable, too large) is recorded as a failed
    run saying why (the status code and reason, never a byte of the answer) and raises FeedPullError.
    `client` defaults to one that connects only to addresses the URL rules allow (`guarded_client`).
    """
    supplier = get_supplier(hub.db, code)
    if not supplier.feed_url:
        raise UserError(f"supplier {code!r} has no feed URL")
    guard = url_guard(hub)
    spool_dir = hub.settings.var_dir / "feeds"
    spool_dir.mkdir(parents=True, exist_ok=True)
    own = client is None
    http = guarded_client(guard, hub.settings.feed_pull_timeout_seconds) if client is None else client
    try:
        with tempfile.TemporaryFile(dir=spool_dir, prefix="pull-") as handle:
            try:
                fetched = _fetch(hub, supplier.id, supplier.feed_url, http, guard, handle)
            except FeedPullError as exc:
                run_id = _record_failure(hub, supplier.id, str(exc))
                logger.warning("feed pull failed", extra={"supplier": code, "feed_run_id": run_id,
                                                          "reason": str(exc)})
                raise FeedPullError(f"feed run {run_id} of {code!r} failed: {exc}") from None
            if fetched is None:
                logger.info("feed not modified", extra={"supplier": code})
                return None
            handle.seek(0)
            etag, last_modified = fetched
            return import_feed(hub, code, handle, mode="full", source="url", etag=etag, last_modified=last_modified)
    finally:
        if own:
            http.close()


def _fetch(hub: Hub, supplier_id: int, url: str, client: httpx.Client, guard: UrlGuard,
           handle: IO[bytes]) -> tuple[str | None, str | None] | None:
    """Download the feed into `handle`: (ETag, Last-Modified), or None for 304. Redirects are
    followed here, one hop at a time, each hop's URL checked before it is requested."""
    limit = hub.settings.feed_max_bytes
    try:
        parse_feed_url(url)  # the syntax; the addresses are checked below, hop by hop
        headers = {"Accept-Encoding": "gzip, deflate", **_validators(hub, supplier_id)}
        request = client.build_request("GET", url, headers=headers)
    except UrlRefused as exc:
        raise FeedPullError(f"the feed URL refused: {exc}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise FeedPullError(f"the feed URL is not valid ({type(exc).__name__})") from None
    for hop in range(MAX_REDIRECTS + 1):
        where = "the feed URL" if hop == 0 else f"redirect {hop} of the feed URL"
        try:
            guard.check(str(request.url))
            response = client.send(request, stream=True, follow_redirects=False)
        except UrlRefused as exc:
            raise FeedPullError(f"{where} refused: {exc}") from None
        except httpx.HTTPError as exc:
            raise FeedPullError(f"cannot fetch {where} ({type(exc).__name__})") from None
        try:
            if response.next_request is not None:
                request = response.next_request
                continue
            status = response.status_code
            if status == 304:
                return None
            if status >= 300:
                raise FeedPullError(f"{where} answered HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip())
            decoder = _Decoder(response.headers.get("content-encoding", ""))
            size = 0
            try:
                for raw in response.iter_raw(READ_BLOCK):
                    for block in decoder.decode(raw):
                        size += len(block)
                        if size > limit:
                            raise FeedPullError(f"the feed is larger than the limit of {limit} bytes once "
                                                f"decompressed (HUB_FEED_MAX_BYTES); nothing applied")
                        handle.write(block)
            except httpx.HTTPError as exc:
                raise FeedPullError(f"the download from {where} broke off ({type(exc).__name__})") from None
            return response.headers.get("etag"), response.headers.get("last-modified")
        finally:
            response.close()
    raise FeedPullError(f"the feed URL redirects more than {MAX_REDIRECTS} times")


class _Decoder:
    """Undoes the answer's Content-Encoding in blocks of at most `READ_BLOCK` bytes, so a small
    compressed answer can never expand in memory at once (httpx's own decoding has no such bound)."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._wbits: int | None = None
        elif encoding in ("gzip", "x-gzip"):
            self._wbits = 31
        elif encoding == "deflate":
            self._wbits = 15
        else:
            raise FeedPullError(f"the feed URL answered with an unsupported Content-Encoding ({encoding[:20]!r})")
        self._inflate = zlib.decompressobj(self._wbits) if self._wbits is not None else None

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None or self._wbits is None:
            yield data
            return
        try:
            while data:
                block = self._inflate.decompress(data, READ_BLOCK)
                if block:
                    yield block
                data = self._inflate.unconsumed_tail
                if self._inflate.eof:  # the next gzip member, if any
                    data = self._inflate.unused_data
                    self._inflate = zlib.decompressobj(self._wbits)
        except zlib.error:
            raise FeedPullError("the compressed answer of the feed URL is corrupt") from None


def _record_failure(hub: Hub, supplier_id: int, reason: str) -> int:
    """A failed run for a pull that never reached the importer, so the failure is seen in the runs."""
    with hub.db.transaction() as session:
        run = FeedRun(supplier_id=supplier_id, source="url", mode="full", format="auto", status="failed",
                      error=reason, finished_at=utcnow())
        session.add(run)
        session.flush()
        return run.id


def due_suppliers(hub: Hub) -> list[str]:
    """Active suppliers with a feed URL whose last pull started at least the pull interval ago."""
    since = utcnow() - timedelta(seconds=hub.settings.feed_pull_interval_seconds)
    with hub.db.transaction() as session:
        last_pull = (select(FeedRun.id).where(FeedRun.supplier_id == Supplier.id, FeedRun.source == "url",
                                              FeedRun.started_at > since).exists())
        rows = session.execute(select(Supplier.code).where(Supplier.active.is_(True), Supplier.feed_url.is_not(None),
                                                           ~last_pull).order_by(Supplier.code))
        return list(rows.scalars())


def pull_due_feeds(hub: Hub, client: httpx.Client | None = None, codes: Collection[str] | None = None
                   ) -> dict[str, int]:
    """The job body: pull every due supplier (of `codes` when given); one supplier's failure does
    not stop the others."""
    counts = {"applied": 0, "suspect": 0, "not_modified": 0, "failed": 0}
    for code in due_suppliers(hub):
        if codes is not None and code not in codes:
            continue
        try:
            summary = pull_feed(hub, code, client)
        except UserError as exc:
            logger.warning("feed pull failed: %s", exc, extra={"supplier": code})  # our own words, no fetched byte
            counts["failed"] += 1
            continue
        counts["not_modified" if summary is None else summary.status] += 1
    return counts
