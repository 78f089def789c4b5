"""Feed-run bookkeeping: the summary every entry point answers with, run queries, and staging.

A full feed that may trip the truncation guard is staged — its accepted rows, already in storage
form, written to a CSV file under `var/feeds/` — until enough rows have arrived to pass the guard.
A suspect run keeps its file (`feed_runs.staged_path`) so `confirm` applies it without the
original feed, and without reading the feed twice.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.engine import Database
from hub.db.models import FeedReject, FeedRun, Supplier
from hub.domain.offer_storage import OfferParams
from hub.errors import NotFound

logger = logging.getLogger(__name__)

MAX_ERRORS = 100
STAGE_BATCH = 10_000


@dataclass
class ImportSummary:
    """What an import, confirm or discard answers: the run's counts and its first rejects."""

    feed_run_id: int
    status: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    changed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RunView:
    id: int
    supplier_code: str
    source: str
    mode: str
    format: str
    status: str
    rows: int
    accepted: int
    rejected: int
    changed: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data


def run_view(run: FeedRun, code: str) -> RunView:
    return RunView(id=run.id, supplier_code=code, source=run.source, mode=run.mode, format=run.format,
                   status=run.status, rows=run.rows, accepted=run.accepted, rejected=run.rejected,
                   changed=run.changed, error=run.error, started_at=run.started_at, finished_at=run.finished_at)


def load_run(session: Session, run_id: int, code: str | None = None) -> tuple[FeedRun, str]:
    """The run and its supplier's code; NotFound when absent or (with `code`) of another supplier."""
    row = session.execute(select(FeedRun, Supplier.code).join(Supplier, Supplier.id == FeedRun.supplier_id)
                          .where(FeedRun.id == run_id)).one_or_none()
    if row is None or (code is not None and row[1] != code):
        raise NotFound(f"no feed run {run_id}" + (f" for supplier {code!r}" if code else ""))
    return row[0], row[1]


def reject_dicts(session: Session, run_id: int, offset: int = 0, limit: int = MAX_ERRORS) -> list[dict[str, Any]]:
    rows = session.execute(select(FeedReject).where(FeedReject.feed_run_id == run_id)
                           .order_by(FeedReject.line, FeedReject.id).offset(offset).limit(limit)).scalars()
    return [{"line": r.line, "field": r.field, "reason": r.reason, "sku": r.sku} for r in rows]


def list_runs(db: Database, code: str, limit: int = 20) -> list[RunView]:
    with db.transaction() as session:
        supplier_id = session.execute(select(Supplier.id).where(Supplier.code == code)).scalar_one_or_none()
        if supplier_id is None:
            raise NotFound(f"no supplier with code {code!r}")
        runs = session.execute(select(FeedRun).where(FeedRun.supplier_id == supplier_id)
                               .order_by(FeedRun.id.desc()).limit(limit)).scalars()
        return [run_view(run, code) for run in runs]


def get_run(db: Database, run_id: int, *, code: str | None = None, offset: int = 0,
            limit: int = MAX_ERRORS) -> tuple[RunView, list[dict[str, Any]], int]:
    """The run, a page of its rejects (by line), and how many rejects it has in all."""
    with db.transaction() as session:
        run, supplier_code = load_run(session, run_id, code)
        total = session.execute(select(func.count()).select_from(FeedReject)
                                .where(FeedReject.feed_run_id == run_id)).scalar_one()
        return run_view(run, supplier_code), reject_dicts(session, run_id, offset, limit), int(total)


def last_full_accepted(session: Session, supplier_id: int) -> int | None:
    """Accepted rows of the supplier's last complete applied full feed, or None when it had none.

    An applied run with an `error` ended early (its rows applied, nothing zeroed): it is no baseline.
    """
    return session.execute(
        select(FeedRun.accepted).where(FeedRun.supplier_id == supplier_id, FeedRun.mode == "full",
                                       FeedRun.status == "applied", FeedRun.error.is_(None))
        .order_by(FeedRun.id.desc()).limit(1)
    ).scalar_one_or_none()


def staging_path(var_dir: Path, run_id: int) -> Path:
    return var_dir / "feeds" / f"run-{run_id}.staged.csv"


class StagedRows:
    """Accepted rows of a run kept on disk in storage form (CSV: C-speed to write and read back)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None
        self._writer: Any = None

    def write(self, rows: Sequence[OfferParams]) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", newline="", encoding="utf-8")
            self._writer = csv.writer(self._handle)
        self._writer.writerows(rows)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = self._writer = None

    def batches(self, size: int = STAGE_BATCH) -> Iterator[list[OfferParams]]:
        self.close()
        if not self.path.exists():
            return
        with self.path.open(newline="", encoding="utf-8") as handle:
            batch: list[OfferParams] = []
            for sku, title, gtin, cost, ship, currency, stock, countries in csv.reader(handle):
                batch.append((sku, title or None, gtin or None, int(cost), int(ship) if ship else None,
                              currency, int(stock), countries))
                if len(batch) >= size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
