"""Other costs: record (one or many, upserted by their unique key), import ad spend CSV, list, delete.

A re-import or a repeated POST of the same cost updates its amount instead of adding a second row:
the unique constraint of `expenses` decides, not a lookup in code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hub.db.engine import Database
from hub.db.models import Expense, Store
from hub.db.sql import dialect_insert
from hub.domain.expenses import KINDS, ExpenseError, ExpenseIn, RowError, parse_ad_spend_csv
from hub.domain.money import format_amount
from hub.errors import NotFound, UserError

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 20 * 1024 * 1024
_KEY = ["kind", "day", "store_key", "currency", "platform", "name"]


@dataclass(frozen=True)
class ExpenseView:
    id: int
    kind: str
    day: date
    end_day: date | None
    platform: str
    name: str
    store_id: int | None
    store_name: str | None
    amount: str
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "day": self.day.isoformat(),
                "end_day": self.end_day.isoformat() if self.end_day else None, "platform": self.platform,
                "name": self.name, "store_id": self.store_id, "store_name": self.store_name,
                "amount": self.amount, "currency": self.currency}


@dataclass
class ImportResult:
    rows: int = 0
    written: int = 0
    errors: list[RowError] = field(default_factory=list)


class StoreResolver:
    """A store named by id or by name (as typed in a CSV or a form) → its id; None = all stores."""

    def __init__(self, session: Session) -> None:
        stores = session.execute(select(Store.id, Store.name)).all()
        self._ids = {int(i) for i, _ in stores}
        self._names: dict[str, list[int]] = {}
        for store_id, name in stores:
            self._names.setdefault(name.strip().lower(), []).append(int(store_id))

    def __call__(self, ref: str | None) -> int | None:
        if ref is None:
            return None
        if ref.isascii() and ref.isdigit():
            if int(ref) in self._ids:
                return int(ref)
            raise ExpenseError("store", f"no store with id {ref}")
        found = self._names.get(ref.lower(), [])
        if len(found) == 1:
            return found[0]
        if found:
            raise ExpenseError("store", f"{len(found)} stores are named {ref[:60]!r}: give its id")
        raise ExpenseError("store", f"no store named {ref[:60]!r}")


def _values(item: ExpenseIn, store_id: int | None) -> dict[str, Any]:
    return {"kind": item.kind, "day": item.day, "end_day": item.end_day, "platform": item.platform,
            "name": item.name, "store_id": store_id, "store_key": store_id or 0, "amount": item.amount,
            "currency": item.currency}


def upsert(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert or update by the unique key (the last of equal keys wins); the ids in input order."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        unique[tuple(row[k] for k in _KEY)] = row
    if not unique:
        return []
    statement = dialect_insert(session, Expense.__table__)  # type: ignore[arg-type]
    statement = statement.on_conflict_do_update(
        index_elements=_KEY,
        set_={"amount": statement.excluded.amount, "end_day": statement.excluded.end_day,
              "store_id": statement.excluded.store_id, "updated_at": statement.excluded.updated_at},
    )
    values = list(unique.values())
    session.execute(statement, values)
    # The ids by key: RETURNING of an upsert is not in input order on PostgreSQL once rows conflict.
    columns = [Expense.__table__.c[k] for k in _KEY]
    found = session.execute(select(Expense.id, *columns).where(
        Expense.kind.in_({row["kind"] for row in values}),
        Expense.day >= min(row["day"] for row in values), Expense.day <= max(row["day"] for row in values))).all()
    ids = {tuple(found_row[1:]): int(found_row[0]) for found_row in found}
    return [ids[tuple(row[k] for k in _KEY)] for row in rows]


def record(db: Database, items: Sequence[ExpenseIn], *, indexed: bool = False) -> list[ExpenseView]:
    """Record costs all or nothing: a bad store raises UserError naming the field (and with
    `indexed`, the item as expenses[i], as the API's body names it)."""
    with db.transaction() as session:
        resolve = StoreResolver(session)
        rows = []
        for index, item in enumerate(items):
            try:
                rows.append(_values(item, resolve(item.store)))
            except ExpenseError as exc:
                prefix = f"expenses[{index}]." if indexed else ""
                raise UserError(f"{prefix}{exc.field}: {exc.message}") from None
        ids = upsert(session, rows)
        views = _views(session, select(Expense).where(Expense.id.in_(ids)))
    by_id = {view.id: view for view in views}
    return [by_id[i] for i in ids]


def import_csv(db: Database, stream: IO[bytes]) -> ImportResult:
    """Ad spend from CSV: good rows are stored (upserted), each bad row is reported by line and field."""
    data = stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise UserError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("the file is not UTF-8 text") from None
    good, errors = parse_ad_spend_csv(text)
    if errors and errors[0].field == "header":
        raise UserError(errors[0].message)
    result = ImportResult(rows=len(good) + len(errors), errors=list(errors))
    with db.transaction() as session:
        resolve = StoreResolver(session)
        rows = []
        for line, item in good:
            try:
                rows.append(_values(item, resolve(item.store)))
            except ExpenseError as exc:
                result.errors.append(RowError(line, exc.field, exc.message))
        result.written = len(set(upsert(session, rows)))
    result.errors.sort(key=lambda e: e.line)
    logger.info("ad spend imported", extra={"written": result.written, "rejected": len(result.errors)})
    return result


def _views(session: Session, statement: Any) -> list[ExpenseView]:
    names = {int(i): str(n) for i, n in session.execute(select(Store.id, Store.name)).all()}
    return [ExpenseView(id=e.id, kind=e.kind, day=e.day, end_day=e.end_day, platform=e.platform, name=e.name,
                        store_id=e.store_id, store_name=names.get(e.store_id) if e.store_id else None,
                        amount=format_amount(e.amount, e.currency), currency=e.currency)
            for e in session.execute(statement).scalars()]


def list_expenses(db: Database, *, kind: str | None = None, store_id: int | None = None,
                  start: date | None = None, end: date | None = None, limit: int = 500) -> list[ExpenseView]:
    """Newest first. With a range: ad spend and one-off costs of those days, recurring costs active in it."""
    if kind is not None and kind not in KINDS:
        raise UserError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    statement = select(Expense)
    if kind is not None:
        statement = statement.where(Expense.kind == kind)
    if store_id is not None:
        statement = statement.where(Expense.store_id == store_id)
    if end is not None:
        statement = statement.where(Expense.day <= end)
    if start is not None:
        statement = statement.where((Expense.day >= start) | (
            (Expense.kind == "recurring") & ((Expense.end_day.is_(None)) | (Expense.end_day >= start))))
    statement = statement.order_by(Expense.day.desc(), Expense.id.desc()).limit(limit)
    with db.read() as session:
        return _views(session, statement)


def delete_expense(db: Database, expense_id: int) -> None:
    with db.transaction() as session:
        removed = session.execute(delete(Expense).where(Expense.id == expense_id).returning(Expense.id)).all()
    if not removed:
        raise NotFound(f"expense {expense_id} not found")
