"""Pull suppliers' feeds from their `feed_url`: streamed to a temporary file, conditional GET.

The ETag and Last-Modified of the last pulled run go back as If-None-Match / If-Modified-Since;
a 304 applies nothing and records no run. A pulled feed is a full feed (a URL serves the whole
catalogue), so the truncation guard protects it like any other.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta

import httpx
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import FeedRun, Supplier
from hub.errors import UserError
from hub.services.feed_runs import ImportSummary
from hub.services.feeds import import_feed
from hub.services.suppliers import get_supplier

logger = logging.getLogger(__name__)

READ_BLOCK = 1 << 20


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


def pull_feed(hub: Hub, code: str, client: httpx.Client) -> ImportSummary | None:
    """Pull and import one supplier's feed; None when the server says it has not changed (304)."""
    supplier = get_supplier(hub.db, code)
    if not supplier.feed_url:
        raise UserError(f"supplier {code!r} has no feed URL")
    limit = hub.settings.feed_max_bytes
    spool_dir = hub.settings.var_dir / "feeds"
    spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=spool_dir, prefix="pull-") as handle:
        try:
            with client.stream("GET", supplier.feed_url, headers=_validators(hub, supplier.id)) as response:
                if response.status_code == 304:
                    logger.info("feed not modified", extra={"supplier": code})
                    return None
                if response.status_code >= 400:
                    raise FeedPullError(f"feed URL of {code!r} answered HTTP {response.status_code}")
                size = 0
                for block in response.iter_bytes(READ_BLOCK):
                    size += len(block)
                    if size > limit:
                        raise FeedPullError(f"feed of {code!r} is larger than the limit of {limit} bytes")
                    handle.write(block)
                etag, last_modified = response.headers.get("etag"), response.headers.get("last-modified")
        except httpx.HTTPError as exc:
            raise FeedPullError(f"cannot fetch the feed of {code!r}: {type(exc).__name__}") from exc
        handle.seek(0)
        return import_feed(hub, code, handle, mode="full", source="url", etag=etag, last_modified=last_modified)


def due_suppliers(hub: Hub) -> list[str]:
    """Active suppliers with a feed URL whose last pull started at least the pull interval ago."""
    since = utcnow() - timedelta(seconds=hub.settings.feed_pull_interval_seconds)
    with hub.db.transaction() as session:
        last_pull = (select(FeedRun.id).where(FeedRun.supplier_id == Supplier.id, FeedRun.source == "url",
                                              FeedRun.started_at > since).exists())
        rows = session.execute(select(Supplier.code).where(Supplier.active.is_(True), Supplier.feed_url.is_not(None),
                                                           ~last_pull).order_by(Supplier.code))
        return list(rows.scalars())


def pull_due_feeds(hub: Hub, client: httpx.Client) -> dict[str, int]:
    """The job body: pull every due supplier; one supplier's failure does not stop the others."""
    counts = {"applied": 0, "suspect": 0, "not_modified": 0, "failed": 0}
    for code in due_suppliers(hub):
        try:
            summary = pull_feed(hub, code, client)
        except UserError as exc:
            logger.warning("feed pull failed: %s", exc, extra={"supplier": code})
            counts["failed"] += 1
            continue
        counts["not_modified" if summary is None else summary.status] += 1
    return counts
