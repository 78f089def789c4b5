"""Manual orders (API and CSV) and reading orders with their lines and timeline."""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import Order, OrderEvent, OrderLine, Store
from hub.db.sql import insert_ignore
from hub.domain.lifecycle import LIFECYCLES
from hub.domain.manual_orders import REQUIRED_COLUMNS, RowReject, orders_from_csv_rows
from hub.domain.money import format_amount
from hub.domain.orders import OrderIn
from hub.errors import BadRequest, NotFound, UserError
from hub.services.intake import IntakeResult, ingest
from hub.services.ledger import ledger_lines
from hub.services.money_words import describe_ledger
from hub.services.profit import order_profit

MANUAL_DOMAIN = "manual"
MAX_PAGE = 200


def manual_store_id(session: Session, currency: str) -> int:
    """The one store that holds orders taken by hand; created on first use."""
    now = utcnow()
    insert_ignore(session, Store.__table__,  # type: ignore[arg-type]
                  [{"platform": "manual", "name": "Manual orders", "shop_domain": MANUAL_DOMAIN,
                    "currency": currency, "status": "active", "settings": {}, "created_at": now,
                    "updated_at": now}], conflict=["platform", "shop_domain"])
    return int(session.execute(select(Store.id).where(
        Store.platform == "manual", Store.shop_domain == MANUAL_DOMAIN)).scalar_one())


def create_manual_order(db: Database, order: OrderIn, currency: str) -> tuple[int, bool]:
    """Store one validated manual order; returns (order id, created?). The reference is its key."""
    with db.transaction() as session:
        store_id = manual_store_id(session, currency)
        result = ingest(session, store_id, [order], source="manual")
        order_id = session.execute(select(Order.id).where(
            Order.store_id == store_id, Order.external_id == order.external_id)).scalar_one()
    return int(order_id), bool(result.created)


@dataclass
class CsvImportResult:
    intake: IntakeResult
    rejects: list[RowReject]
    rows: int


def import_manual_csv(db: Database, stream: IO[bytes], currency: str) -> CsvImportResult:
    """Take every good order of a CSV file; each bad row comes back with its line and reason."""
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read the CSV file: {exc}") from exc
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise UserError(f"the CSV header lacks column(s): {', '.join(missing)}; "
                        f"required: {', '.join(REQUIRED_COLUMNS)}")
    reader.fieldnames = header
    try:
        rows = list(_numbered_rows(reader))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UserError(f"cannot read the CSV file: {exc}") from exc
    orders, rejects = orders_from_csv_rows(rows, utcnow())
    with db.transaction() as session:
        store_id = manual_store_id(session, currency)
        intake = ingest(session, store_id, orders, source="csv")
    return CsvImportResult(intake=intake, rejects=rejects, rows=len(rows))


def _numbered_rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, str | None]]]:
    start = reader.line_num + 1
    for row in reader:
        if any((value or "").strip() for key, value in row.items() if key is not None):
            yield start, {key: value for key, value in row.items() if key is not None}
        start = reader.line_num + 1


def _encode_cursor(order_id: int) -> str:
    return base64.urlsafe_b64encode(f"o:{order_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "o":
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("invalid cursor: pass the next_cursor of the previous page") from exc


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "id": order.id, "store_id": order.store_id, "external_id": order.external_id, "name": order.name,
        "status": order.status, "lifecycle": order.lifecycle, "financial_status": order.financial_status,
        "fulfillment_status": order.fulfillment_status, "currency": order.currency,
        "total_price": format_amount(order.total_price, order.currency), "email": order.email,
        "placed_at": order.placed_at.isoformat(), "cancelled_at": order.cancelled_at.isoformat()
        if order.cancelled_at else None,
    }


def _lifecycle_filter(lifecycle: str | None) -> list[Any]:
    """The condition for one lifecycle; an unknown word is the caller's mistake, said plainly."""
    if not lifecycle:
        return []
    if lifecycle not in LIFECYCLES:
        raise BadRequest(f"unknown lifecycle {lifecycle!r}; one of: {', '.join(LIFECYCLES)}")
    return [Order.lifecycle == lifecycle]


def list_orders(db: Database, *, status: str | None = None, store_id: int | None = None, q: str | None = None,
                limit: int = 50, cursor: str | None = None, placed: tuple[date, date] | None = None,
                sku: str | None = None,
                lifecycle: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paginated by id (stable while orders keep arriving).

    `placed` (first and last UTC day, inclusive) and `sku` are how a day or a product of the profit
    page opens its orders: the day is the one profit books an order's facts on."""
    limit = max(1, min(limit, MAX_PAGE))
    query = select(Order).where(*_lifecycle_filter(lifecycle)).order_by(Order.id.desc()).limit(limit + 1)
    if placed is not None:
        first, last = (datetime.combine(day, time.min, tzinfo=UTC) for day in placed)
        query = query.where(Order.placed_at >= first, Order.placed_at < last + timedelta(days=1))
    if sku:
        query = query.where(select(OrderLine.id).where(OrderLine.order_id == Order.id,
                                                       OrderLine.sku == sku.strip()).exists())
    if status:
        query = query.where(Order.status == status)
    if store_id is not None:
        query = query.where(Order.store_id == store_id)
    if q:
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(Order.name).like(pattern), func.lower(Order.email).like(pattern),
                                Order.external_id == q.strip()))
    if cursor:
        query = query.where(Order.id < _decode_cursor(cursor))
    with db.read() as session:
        rows = session.execute(query).scalars().all()
    page = [order_summary(order) for order in rows[:limit]]
    return page, _encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def get_order(db: Database, order_id: int, reporting_currency: str) -> dict[str, Any]:
    """The order with its lines, timeline, ledger lines and profit (in the reporting currency)."""
    with db.read() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound(f"order {order_id} not found")
        lines = session.execute(select(OrderLine).where(OrderLine.order_id == order_id)
                                .order_by(OrderLine.id)).scalars().all()
        events = session.execute(select(OrderEvent).where(OrderEvent.order_id == order_id)
                                 .order_by(OrderEvent.occurred_at, OrderEvent.id)).scalars().all()
        money = {name: format_amount(getattr(order, name), order.currency)
                 for name in ("subtotal_price", "total_discounts", "total_shipping", "total_tax")}
        return {
            **order_summary(order), **money,
            "shipping_address": order.shipping_address, "cancel_reason": order.cancel_reason,
            "lines": [_line_view(line, order.currency) for line in lines],
            "timeline": [{"at": event.occurred_at.isoformat(), "kind": event.kind, "message": event.message,
                          "data": event.data} for event in events],
            "ledger": describe_ledger(session, ledger_lines(session, order_id)),
            "profit": order_profit(session, order_id, reporting_currency),
        }


def _line_view(line: OrderLine, currency: str) -> dict[str, Any]:
    return {"id": line.id, "external_id": line.external_id, "sku": line.sku, "title": line.title,
            "quantity": line.quantity, "unit_price": format_amount(line.unit_price, currency),
            "total_discount": format_amount(line.total_discount, currency), "variant_id": line.variant_id,
            "routing_status": line.routing_status, "attention_reason": line.attention_reason}


@dataclass(frozen=True)
class OrderPage:
    """One page of a filtered order list and how many orders match in all (the CLI says what is left)."""

    rows: list[dict[str, Any]]
    total: int
    offset: int


def page_orders(db: Database, *, status: str | None = None, store_id: int | None = None, q: str | None = None,
                limit: int = 50, offset: int = 0, lifecycle: str | None = None) -> OrderPage:
    """Newest first, by offset: for people paging through a list, with the total to say what is left."""
    conditions: list[Any] = _lifecycle_filter(lifecycle)
    if status:
        conditions.append(Order.status == status)
    if store_id is not None:
        conditions.append(Order.store_id == store_id)
    if q:
        pattern = f"%{q.strip().lower()}%"
        conditions.append(or_(func.lower(Order.name).like(pattern), func.lower(Order.email).like(pattern),
                              Order.external_id == q.strip()))
    with db.transaction() as session:
        total = session.execute(select(func.count()).select_from(Order).where(*conditions)).scalar_one()
        rows = session.execute(select(Order).where(*conditions).order_by(Order.id.desc())
                               .limit(limit).offset(offset)).scalars().all()
        return OrderPage([order_summary(order) for order in rows], total, offset)
