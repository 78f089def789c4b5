"""Feed import use cases: import a feed stream, confirm or discard a run held as suspect.

The stream is parsed once, in chunks. Each chunk is written in its own short transaction (one
set-based upsert plus the rejects), so a million-row import never holds SQLite's write lock for
long. A full feed is staged (see `feed_runs.StagedRows`) while it may still trip the truncation
guard — fewer accepted rows than `feed_truncation_share` of the last applied full feed — and
applied as soon as it has passed; a feed that ends below the share is held as `suspect` and
nothing of it is applied. Offers missing from a complete full feed go out of stock in one
UPDATE, found against the SKUs the run wrote (see `offer_writer.OfferWriter`).
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, exists, select, update
from sqlalchemy.orm import Session

from connectors.suppliers.feeds import FORMATS, FeedFormatError, FeedTooLarge, check_size, detect_format, parse_feed
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import FeedReject, FeedRun, Offer, Supplier
from hub.domain.catalogue import RowReject
from hub.domain.offer_storage import to_params
from hub.errors import Conflict, UserError
from hub.services.feed_runs import (
    MAX_ERRORS,
    ImportSummary,
    StagedRows,
    last_full_accepted,
    load_run,
    reject_dicts,
    staging_path,
)
from hub.services.offer_writer import OfferWriter
from hub.services.suppliers import feed_options, get_supplier

logger = logging.getLogger(__name__)

MODES = ("full", "delta")
SOURCES = ("push", "cli", "url", "upload")  # upload: a file sent from the supplier page
HEAD_BYTES = 64 * 1024
STALE_RUN = timedelta(minutes=30)


_gc_lock = threading.Lock()
_gc_pauses = 0


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a feed is imported.

    An import allocates millions of short-lived, acyclic tuples; the collector's passes over
    them cost 15-25% of a 500k-row import (measured). Reference counting still frees them. The
    pause is process-wide, so it is counted: the last import to finish turns the collector back on.
    """
    global _gc_pauses
    with _gc_lock:
        if _gc_pauses == 0 and not gc.isenabled():
            paused = False
        else:
            paused = True
            _gc_pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if paused:
            with _gc_lock:
                _gc_pauses -= 1
                if _gc_pauses == 0:
                    gc.enable()


class FeedTooLargeError(UserError):
    """The feed is larger than `HUB_FEED_MAX_BYTES` once decompressed (the push API answers 413)."""


class FeedStream(Protocol):
    """A seekable binary stream: a file, a spooled upload (the head is read, then rewound)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


@dataclass
class _Progress:
    """Counters of one import as it runs."""

    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    changed: int = 0
    ended_early: bool = False
    errors: list[dict[str, object]] = field(default_factory=list)
    warnings: list[dict[str, object]] = field(default_factory=list)

    def note_rejects(self, rejects: list[RowReject]) -> None:
        self.rejected += len(rejects)
        room = MAX_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend({"line": r.line, "field": r.field, "reason": r.reason, "sku": r.sku}
                               for r in sorted(rejects, key=lambda r: r.line)[:room])

    def summary(self, run_id: int, status: str, message: str | None = None) -> ImportSummary:
        return ImportSummary(run_id, status, self.rows, self.accepted, self.rejected, self.changed,
                             self.errors, self.warnings, message)


def resolve_format(stream: FeedStream, fmt: str) -> str:
    """The named format, or the one detected from the (possibly gzip-compressed) head; rewinds."""
    if fmt != "auto":
        return fmt
    head = stream.read(HEAD_BYTES)
    stream.seek(0)
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(wbits=47).decompress(head, HEAD_BYTES)
        except zlib.error as exc:
            raise FeedFormatError(f"corrupt gzip data: {exc}") from exc
    return detect_format(head)


def import_feed(hub: Hub, code: str, stream: FeedStream, *, mode: str = "full", fmt: str = "auto",
                source: str = "cli", force: bool = False, etag: str | None = None,
                last_modified: str | None = None) -> ImportSummary:
    """Import one feed of supplier `code` from a seekable binary stream; see the module docstring.

    Raises UserError (with the run id) when the feed cannot be read at all; the run is then failed.
    """
    with _gc_paused():
        summary = _import_feed(hub, code, stream, mode=mode, fmt=fmt, source=source, force=force, etag=etag,
                               last_modified=last_modified)
    if summary.status == "applied" and summary.changed:
        _push_changes(hub, code)
    return summary


def _push_changes(hub: Hub, code: str) -> None:
    """A feed that changed offers reaches the stores now, not at the next scheduled push."""
    from connectors.http import ConnectorError
    from hub.services.store_sync import push_after_feed

    try:
        push_after_feed(hub, get_supplier(hub.db, code).id)
    except (ConnectorError, UserError) as exc:  # the scheduled push will try again
        logger.warning("push after feed failed", extra={"supplier": code, "reason": str(exc)[:200]})


def _import_feed(hub: Hub, code: str, stream: FeedStream, *, mode: str, fmt: str, source: str, force: bool,
                 etag: str | None, last_modified: str | None) -> ImportSummary:
    if mode not in MODES:
        raise UserError(f"unknown mode {mode!r}; expected full or delta")
    if fmt != "auto" and fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; expected auto or one of {', '.join(FORMATS)}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    supplier = get_supplier(hub.db, code)
    options = feed_options(supplier)
    with hub.db.transaction() as session:
        _check_not_running(session, supplier.id, code)
        run = FeedRun(supplier_id=supplier.id, source=source, mode=mode, format=fmt, status="running",
                      etag=etag, last_modified=last_modified)
        session.add(run)
        session.flush()
        run_id, started = run.id, run.started_at
        threshold = _guard_threshold(hub, session, supplier.id) if mode == "full" and not force else 0
    progress = _Progress()
    staged = StagedRows(staging_path(hub.settings.var_dir.resolve(), run_id))
    try:
        check_size(stream, hub.settings.feed_max_bytes)
        fmt = resolve_format(stream, fmt)
        with hub.db.engine.connect() as connection:
            writer = OfferWriter(connection, supplier.id, run_id, started, track_seen=mode == "full")
            guard_open = threshold > 0
            for chunk in parse_feed(stream, fmt, options, storage_form=True):
                rejects = list(chunk.rejects)
                params = to_params(chunk.offers, rejects)
                if chunk.stored:  # clean CSV batches, already in storage form
                    params = chunk.stored + params
                progress.rows += chunk.rows
                progress.accepted += len(params)
                progress.ended_early = progress.ended_early or chunk.ended_early
                progress.note_rejects(rejects)
                if len(progress.warnings) < MAX_ERRORS:
                    progress.warnings.extend({"line": w.line, "field": w.field, "reason": w.reason, "sku": w.sku}
                                             for w in chunk.warnings[: MAX_ERRORS - len(progress.warnings)])
                with connection.begin():
                    writer.write_rejects(rejects)
                    if guard_open:
                        staged.write(params)
                    else:
                        progress.changed += writer.write(params)
                if guard_open and progress.accepted >= threshold:
                    guard_open = False
                    progress.changed += _apply_staged(connection, writer, staged)
            if guard_open:
                staged.close()
                held = (f"held as suspect: {progress.accepted} accepted rows, fewer than the "
                        f"{threshold} needed to pass the truncation guard; nothing applied")
                return _finish(hub, run_id, fmt, progress, "suspect", held, staged_path=str(staged.path))
            message: str | None = None
            if mode == "full":
                if progress.ended_early:
                    message = "the feed ended early: offers missing from it were not set out of stock"
                else:
                    with connection.begin():
                        progress.changed += writer.zero_missing()
            with connection.begin():
                writer.close()
        return _finish(hub, run_id, fmt, progress, "applied", message)
    except FeedFormatError as exc:
        staged.remove()
        _finish(hub, run_id, fmt, progress, "failed", str(exc))
        error = FeedTooLargeError if isinstance(exc, FeedTooLarge) else UserError
        raise error(f"feed run {run_id} failed: {exc}") from exc
    except BaseException:
        staged.remove()
        _finish(hub, run_id, fmt, progress, "failed", "import failed unexpectedly; see the hub's log")
        raise


def _check_not_running(session: Session, supplier_id: int, code: str) -> None:
    """One import per supplier at a time: two full feeds at once would each zero the other's rows.

    The supplier row is locked (PostgreSQL; SQLite's write transaction is already exclusive) so
    the check and the new run are one step. A run older than `STALE_RUN` is taken as crashed.
    """
    session.execute(select(Supplier.id).where(Supplier.id == supplier_id).with_for_update())
    busy = session.execute(select(FeedRun.id).where(
        FeedRun.supplier_id == supplier_id, FeedRun.status == "running",
        FeedRun.started_at > utcnow() - STALE_RUN).limit(1)).scalar_one_or_none()
    if busy is not None:
        raise Conflict(f"feed run {busy} of supplier {code!r} is still running; try again when it has finished")


def _guard_threshold(hub: Hub, session: Session, supplier_id: int) -> int:
    """Accepted rows a full feed needs to be applied; 0 = no guard (nothing to compare with)."""
    last = last_full_accepted(session, supplier_id)
    if last is None:
        # No full feed yet: only an empty feed over offers in stock looks truncated.
        in_stock = session.execute(select(exists().where(Offer.supplier_id == supplier_id, Offer.stock > 0)))
        return 1 if in_stock.scalar() else 0
    return math.ceil(hub.settings.feed_truncation_share * last)


def _apply_staged(connection: Connection, writer: OfferWriter, staged: StagedRows) -> int:
    changed = 0
    for batch in staged.batches():
        with connection.begin():
            changed += writer.write(batch)
    staged.remove()
    return changed


def _finish(hub: Hub, run_id: int, fmt: str, progress: _Progress, status: str, message: str | None,
            staged_path: str | None = None) -> ImportSummary:
    with hub.db.transaction() as session:
        session.execute(
            update(FeedRun).where(FeedRun.id == run_id).values(
                status=status, format=fmt, rows=progress.rows, accepted=progress.accepted,
                rejected=progress.rejected, changed=progress.changed, error=message,
                staged_path=staged_path, finished_at=utcnow() if status != "suspect" else None)
            .execution_options(synchronize_session=False)
        )
    log = logger.warning if status in ("failed", "suspect") else logger.info
    log("feed run %s: %s", run_id, status, extra={"feed_run_id": run_id, "rows": progress.rows,
                                                   "accepted": progress.accepted, "rejected": progress.rejected,
                                                   "changed": progress.changed})
    return progress.summary(run_id, status, message)


def _claim(hub: Hub, run_id: int, code: str | None, to: str) -> FeedRun:
    """Move a suspect run to `to` (a claim: only one caller wins); Conflict when it is not suspect."""
    with hub.db.transaction() as session:
        run, supplier_code = load_run(session, run_id, code)
        if to == "running":  # applying it is an import: not while another import of the supplier runs
            _check_not_running(session, run.supplier_id, supplier_code)
        result = session.execute(update(FeedRun).where(FeedRun.id == run_id, FeedRun.status == "suspect")
                                 .values(status=to).execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"feed run {run_id} is {run.status}, not suspect: nothing to confirm or discard")
        if to == "running":
            newer = session.execute(select(FeedRun.id).where(
                FeedRun.supplier_id == run.supplier_id, FeedRun.mode == "full", FeedRun.status == "applied",
                FeedRun.id > run_id).limit(1)).scalar_one_or_none()
            if newer is not None:
                raise Conflict(f"full feed run {newer} was applied after run {run_id}: import the feed again "
                               f"instead of confirming it (or discard run {run_id})")
        session.expunge(run)
        return run


def confirm_run(hub: Hub, run_id: int, *, code: str | None = None) -> ImportSummary:
    """Apply a run held as suspect, from its staged rows, as if the guard had passed."""
    run = _claim(hub, run_id, code, "running")
    staged = StagedRows(Path(run.staged_path) if run.staged_path
                        else staging_path(hub.settings.var_dir.resolve(), run_id))
    progress = _Progress(rows=run.rows, accepted=run.accepted, rejected=run.rejected)
    try:
        if run.accepted and not staged.path.exists():
            raise UserError(f"the staged rows of feed run {run_id} are gone ({staged.path}); import the feed again")
        with hub.db.engine.connect() as connection:
            writer = OfferWriter(connection, run.supplier_id, run_id, run.started_at,
                                 track_seen=run.mode == "full")
            progress.changed = _apply_staged(connection, writer, staged)
            with hub.db.transaction() as session:
                ended_early = bool(session.execute(select(exists().where(
                    FeedReject.feed_run_id == run_id, FeedReject.field == "feed"))).scalar())
                progress.errors = reject_dicts(session, run_id)
            message = None
            if run.mode == "full" and not ended_early:
                with connection.begin():
                    progress.changed += writer.zero_missing()
            elif run.mode == "full":
                message = "the feed ended early: offers missing from it were not set out of stock"
            with connection.begin():
                writer.close()
    except BaseException as exc:
        _finish(hub, run_id, run.format, progress, "failed", str(exc) if isinstance(exc, UserError)
                else "confirm failed unexpectedly; see the hub's log")
        raise
    logger.info("suspect feed run confirmed", extra={"feed_run_id": run_id})
    return _finish(hub, run_id, run.format, progress, "applied", message)


def discard_run(hub: Hub, run_id: int, *, code: str | None = None) -> ImportSummary:
    """Drop a run held as suspect: nothing of it is ever applied; its staged rows are deleted."""
    run = _claim(hub, run_id, code, "discarded")
    if run.staged_path:
        StagedRows(Path(run.staged_path)).remove()
    progress = _Progress(rows=run.rows, accepted=run.accepted, rejected=run.rejected)
    with hub.db.transaction() as session:
        progress.errors = reject_dicts(session, run_id)
    logger.info("suspect feed run discarded", extra={"feed_run_id": run_id})
    return _finish(hub, run_id, run.format, progress, "discarded", "discarded: nothing applied")
