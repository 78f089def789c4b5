"""Supplier push API: a supplier posts its feed with its own key (not the admin token).

`POST /api/v1/suppliers/{code}/feed` streams the body to a temporary file (never the whole body in
memory), stopping at `HUB_FEED_MAX_BYTES` (413), then imports it off the event loop; a gzip body
larger than the limit once decompressed is 413 too (its run failed, nothing applied). It answers
200 when the feed was applied and 202 when it is held as `suspect` by the truncation guard
(nothing applied: an admin confirms or discards it); a feed that cannot be read at all is 422.
"""

from __future__ import annotations

import logging
import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hub.api.deps import HubDep
from hub.api.errors import ApiError, responses
from hub.api.params import Id, SupplierCode
from hub.api.supplier_auth import SupplierKeyDep, SupplierOrAdminDep
from hub.services import feed_runs
from hub.services.feeds import FeedTooLargeError, import_feed

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/suppliers", tags=["supplier feeds"], responses=responses(401, 403, 422))

# Media type → format used when the request names none; TSV may be Google's or any other.
MEDIA_TYPES: dict[str, str] = {
    "text/csv": "csv", "text/tab-separated-values": "auto", "application/xml": "gmc-xml",
    "text/xml": "gmc-xml", "application/rss+xml": "gmc-xml", "application/json": "json",
    "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
}
FormatParam = Literal["auto", "csv", "gmc-xml", "gmc-tsv", "json", "jsonl"]


@router.post("/{code}/feed", status_code=200, responses={202: {"description": "held as suspect"},
                                                          **responses(404, 409, 413, 415)})
async def push_feed(
    code: SupplierCode, request: Request, hub: HubDep, owner: SupplierKeyDep,
    mode: Literal["full", "delta"] = "full", format: FormatParam | None = None, force: bool = False,
) -> JSONResponse:
    """Import a feed: CSV, TSV, Google Merchant XML, JSON or JSON Lines, optionally gzip-encoded."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise ApiError(415, f"unsupported Content-Type {media_type or '(none)'!r}; "
                            f"send one of {', '.join(sorted(MEDIA_TYPES))}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise ApiError(415, f"unsupported Content-Encoding {encoding!r}; send gzip or none")
    limit = hub.settings.feed_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the feed is larger than the limit of {limit} bytes")
    spool_dir = hub.settings.var_dir / "feeds"
    spool_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=spool_dir, prefix="push-") as handle:
        size = 0
        async for block in request.stream():
            size += len(block)
            if size > limit:
                raise ApiError(413, f"the feed is larger than the limit of {limit} bytes")
            handle.write(block)
        if size == 0:
            raise ApiError(422, "the request body is empty: send the feed as the body")
        handle.seek(0)
        try:
            summary = await run_in_threadpool(
                import_feed, hub, code, handle, mode=mode, fmt=format or MEDIA_TYPES[media_type],
                source="push", force=force)
        except FeedTooLargeError as exc:  # too large once decompressed: the run failed, nothing applied
            raise ApiError(413, str(exc)) from None
    logger.info("feed pushed", extra={"supplier": code, "key_id": owner.key_id, "bytes": size,
                                      "feed_run_id": summary.feed_run_id, "status": summary.status})
    return JSONResponse(summary.as_dict(), status_code=202 if summary.status == "suspect" else 200)


@router.get("/{code}/feed-runs/{run_id}", responses=responses(404))
def get_feed_run(
    code: SupplierCode, run_id: Id, hub: HubDep, _owner: SupplierOrAdminDep,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """A run of this supplier and a page of its rejects (by line); supplier key or admin token."""
    run, rejects, total = feed_runs.get_run(hub.db, run_id, code=code, offset=offset, limit=limit)
    return {"run": run.as_dict(), "rejects": rejects, "rejects_total": total, "offset": offset, "limit": limit}
