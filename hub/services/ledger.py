"""The ledger writer: turns orders, transactions and supplier charges into ledger rows.

Each function runs inside the caller's session (so intake, placement and jobs write money facts in
the same transaction as the change that caused them). Rows are upserted by `source_ref`: writing
the same fact twice changes nothing, a changed fact updates its row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import LedgerEntry, Order, OrderLine, SupplierOrder
from hub.db.sql import dialect_insert
from hub.domain import ledger as L
from hub.domain.money import format_amount, normalize_currency
from hub.domain.storefront import OrderRefund, OrderTransaction
from hub.errors import NotFound
from hub.services.allocation import reallocate
from hub.services.fx import converter

logger = logging.getLogger(__name__)

_UPDATABLE = ("kind", "amount", "currency", "estimated", "description", "occurred_at", "booked_on",
              "order_line_id", "supplier_id", "supplier_order_id")


def _write(session: Session, order: Order, entries: Sequence[L.Entry]) -> int:
    """Upsert entries of one order; the order's day is the day every one of them is booked on."""
    if not entries:
        return 0
    written = _upsert(session, _rows(order, entries))
    reallocate(session, [order.id])
    return written


def _rows(order: Order, entries: Sequence[L.Entry]) -> list[dict[str, Any]]:
    booked_on = order.placed_at.date()
    return [
        {"source_ref": e.source_ref, "kind": e.kind, "store_id": order.store_id, "order_id": order.id,
         "order_line_id": e.order_line_id, "supplier_id": e.supplier_id, "supplier_order_id": e.supplier_order_id,
         "amount": e.amount, "currency": e.currency, "estimated": e.estimated, "description": e.description,
         "occurred_at": e.occurred_at, "booked_on": booked_on}
        for e in entries
    ]


def _upsert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    table = LedgerEntry.__table__
    statement = dialect_insert(session, table)  # type: ignore[arg-type]
    statement = statement.on_conflict_do_update(
        index_elements=["source_ref"], set_={name: statement.excluded[name] for name in _UPDATABLE})
    session.execute(statement, rows)
    return len(rows)


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


def record_order(session: Session, order_id: int) -> int:
    """Sale per line, order discount, shipping charged and tax of an order (call after intake)."""
    order = _order(session, order_id)
    lines = session.execute(select(OrderLine).where(OrderLine.order_id == order_id)
                            .order_by(OrderLine.id)).scalars().all()
    facts = L.OrderFacts(
        order_id=order.id, currency=order.currency, placed_at=order.placed_at,
        lines=tuple(L.LineFacts(line.id, line.sku, line.quantity, line.unit_price, line.total_discount)
                    for line in lines),
        total_discounts=order.total_discounts, total_shipping=order.total_shipping, total_tax=order.total_tax)
    return _write(session, order, L.order_entries(facts))


def record_orders(session: Session, order_ids: Sequence[int]) -> int:
    """`record_order` for a batch (intake's): two reads and one upsert whatever the batch size."""
    written = _upsert(session, order_rows(session, order_ids))
    reallocate(session, order_ids)
    return written


def order_rows(session: Session, order_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The ledger rows of a batch of orders' own facts (reads only)."""
    if not order_ids:
        return []
    orders = {o.id: o for o in session.execute(select(Order).where(Order.id.in_(list(order_ids)))).scalars()}
    lines: dict[int, list[OrderLine]] = {order_id: [] for order_id in orders}
    for line in session.execute(select(OrderLine).where(OrderLine.order_id.in_(list(orders)))
                                .order_by(OrderLine.id)).scalars():
        lines[line.order_id].append(line)
    rows: list[dict[str, Any]] = []
    for order_id, order in orders.items():
        facts = L.OrderFacts(
            order_id=order.id, currency=order.currency, placed_at=order.placed_at,
            lines=tuple(L.LineFacts(line.id, line.sku, line.quantity, line.unit_price, line.total_discount)
                        for line in lines[order_id]),
            total_discounts=order.total_discounts, total_shipping=order.total_shipping, total_tax=order.total_tax)
        rows += _rows(order, L.order_entries(facts))
    return rows


def record_transactions(session: Session, order_id: int, transactions: Sequence[OrderTransaction],
                        refunds: Sequence[OrderRefund] | None = None) -> int:
    """Refunds, chargebacks and payment fees of an order's storefront transactions.

    Storefront ids are unique per store only, so their references carry the store id.

    With the storefront's `refunds` (Shopify's, which say how much of each was tax), refunds are
    booked from those and refund transactions add only their fees; without, from the transactions."""
    order = _order(session, order_id)
    entries: list[L.Entry] = []
    for txn in transactions:
        fees = tuple((fee.fee_id or str(index), fee.amount.amount, fee.amount.currency)
                     for index, fee in enumerate(txn.fees))
        entries += L.transaction_entries(L.TxnFacts(
            transaction_id=f"{order.store_id}:{txn.transaction_id}", kind=txn.kind, status=txn.status,
            amount=txn.amount.amount, currency=txn.amount.currency, processed_at=txn.processed_at or order.placed_at,
            fees=fees),
            refund_amounts=refunds is None)
    for refund in refunds or ():
        entries += L.refund_entries(L.RefundFacts(
            refund_id=f"{order.store_id}:{refund.refund_id}", currency=refund.total.currency,
            created_at=refund.created_at or order.placed_at, goods=refund.goods.amount,
            shipping=refund.shipping.amount, tax=(refund.line_tax + refund.shipping_tax).amount))
    return _write(session, order, entries)


def record_dispute(session: Session, order_id: int, transaction_id: str, amount: Decimal, fee: Decimal,
                   currency: str, at: datetime | None) -> int:
    """A chargeback/dispute seen as a payout balance transaction (amount negative when money left),
    with its dispute fee; keyed by the balance transaction, so a re-pull changes nothing."""
    order = _order(session, order_id)
    at = at or order.placed_at
    ref = f"balance:{order.store_id}:{transaction_id}"
    entries = [L.Entry(f"{ref}:chargeback", L.CHARGEBACK, -abs(amount), currency, at)]
    if fee:
        entries.append(L.Entry(f"{ref}:fee", L.PAYMENT_FEE, -abs(fee), currency, at))
    return _write(session, order, entries)


def _supplier_order(session: Session, supplier_order_id: int) -> tuple[SupplierOrder, Order]:
    supplier_order = session.get(SupplierOrder, supplier_order_id)
    if supplier_order is None:
        raise NotFound(f"supplier order {supplier_order_id} not found")
    return supplier_order, _order(session, supplier_order.order_id)


def _has_actual(session: Session, supplier_order_id: int) -> bool:
    return session.execute(select(LedgerEntry.id).where(
        LedgerEntry.supplier_order_id == supplier_order_id, LedgerEntry.estimated.is_(False),
        LedgerEntry.kind == L.SUPPLIER_COST).limit(1)).first() is not None


STORE_LEDGER_LOCK = 0x1ED6  # advisory lock namespace (PostgreSQL): (this, store id) = that store's ledger


def lock_store_ledger(session: Session, store_id: int) -> None:
    """Wait for the other transactions writing this store's supplier costs (PostgreSQL).

    The ledger's daily sums (`ledger_daily`, `ledger_part_daily`) are a few rows per store and day
    kept by triggers: two workers booking supplier costs of one store at once lock the same rows
    in no fixed order and deadlock. Taken first, this lock makes them wait in turn instead; they
    would have waited for those rows anyway. (SQLite has one writer at a time: nothing to do.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(STORE_LEDGER_LOCK, store_id)))


def record_supplier_estimate(session: Session, supplier_order_id: int) -> int:
    """Estimated supplier cost and shipping from the offer (call at routing); a no-op once charged."""
    supplier_order, order = _supplier_order(session, supplier_order_id)
    return record_supplier_estimates(session, order, [(
        supplier_order.id, supplier_order.supplier_id, supplier_order.expected_cost,
        supplier_order.expected_shipping, supplier_order.currency, supplier_order.created_at)])


EstimateOf = tuple[int, int, Decimal, Decimal, str, datetime | None]  # id, supplier, cost, shipping, currency, at


def record_supplier_estimates(session: Session, order: Order, supplier_orders: Sequence[EstimateOf]) -> int:
    """`record_supplier_estimate` for several supplier orders of one order (routing's): one look-up
    of those already charged, one upsert, one reallocation."""
    if not supplier_orders:
        return 0
    lock_store_ledger(session, order.store_id)
    charged = set(session.execute(select(LedgerEntry.supplier_order_id).where(
        LedgerEntry.supplier_order_id.in_([so[0] for so in supplier_orders]), LedgerEntry.estimated.is_(False),
        LedgerEntry.kind == L.SUPPLIER_COST).distinct()).scalars())
    entries = [entry for so_id, supplier_id, cost, shipping, currency, at in supplier_orders if so_id not in charged
               for entry in L.supplier_entries(so_id, supplier_id, cost, shipping, currency, at or utcnow(),
                                               estimated=True)]
    return _write(session, order, entries)


def record_supplier_charge(session: Session, supplier_order_id: int, product_cost: Decimal,
                           shipping_cost: Decimal, currency: str, *, at: datetime | None = None,
                           charge_ref: str | None = None) -> int:
    """The supplier's actual charge replaces the estimate in this same transaction, so sums never
    double. `charge_ref` names a distinct charge (a second one is the "charged twice" anomaly)."""
    supplier_order, order = _supplier_order(session, supplier_order_id)
    currency = normalize_currency(currency)
    at = at or utcnow()
    lock_store_ledger(session, order.store_id)
    session.execute(delete(LedgerEntry).where(LedgerEntry.supplier_order_id == supplier_order_id,
                                              LedgerEntry.estimated.is_(True))
                    .execution_options(synchronize_session=False))
    so_key = f"{supplier_order.id}:{charge_ref}" if charge_ref else str(supplier_order.id)
    expected = supplier_order.currency
    if currency != expected:
        rate = converter(session, order.placed_at.date())(Decimal(1), currency, expected)
        if rate is not None:
            charged = ((product_cost + shipping_cost) * rate).quantize(Decimal("0.0001"))
            entries = L.supplier_entries(supplier_order.id, supplier_order.supplier_id, supplier_order.expected_cost,
                                         supplier_order.expected_shipping, expected, at, estimated=False)
            fx = L.fx_difference_entry(supplier_order.id, supplier_order.supplier_id,
                                       supplier_order.expected_cost + supplier_order.expected_shipping,
                                       charged, expected, at)
            entries = [_rekey(e, so_key) for e in entries] + ([_rekey(fx, so_key)] if fx else [])
            return _write(session, order, entries)
        logger.warning("no FX rate for supplier charge; recorded in the charged currency",
                       extra={"supplier_order_id": supplier_order_id, "currency": currency})
    entries = L.supplier_entries(supplier_order.id, supplier_order.supplier_id, product_cost, shipping_cost,
                                 currency, at, estimated=False)
    return _write(session, order, [_rekey(e, so_key) for e in entries])


def drop_supplier_estimate(session: Session, supplier_order_id: int) -> int:
    """A supplier order that will never be charged (cancelled before it was sent, or refused):
    its estimated cost leaves the ledger in the same transaction as the state change."""
    result = session.execute(delete(LedgerEntry).where(LedgerEntry.supplier_order_id == supplier_order_id,
                                                       LedgerEntry.estimated.is_(True))
                             .execution_options(synchronize_session=False))
    order_id = session.execute(select(SupplierOrder.order_id).where(SupplierOrder.id == supplier_order_id)).scalar()
    if order_id is not None:
        reallocate(session, [order_id])  # its lines are now without a supplier cost: incomplete
    return int(result.rowcount)  # type: ignore[attr-defined]


def record_supplier_credit(session: Session, supplier_order_id: int, at: datetime | None = None) -> int:
    """The supplier cancelled an order it had charged: book the money back, kind by kind and
    currency by currency, so the charge and its reversal both stay in the ledger and sum to zero."""
    supplier_order, order = _supplier_order(session, supplier_order_id)
    drop_supplier_estimate(session, supplier_order_id)
    prefix = f"supplier_order:{supplier_order_id}:credit:"
    totals: dict[tuple[str, str], Decimal] = {}
    for row in session.execute(select(LedgerEntry).where(
            LedgerEntry.supplier_order_id == supplier_order_id, LedgerEntry.estimated.is_(False),
            ~LedgerEntry.source_ref.startswith(prefix))).scalars():
        totals[(row.kind, row.currency)] = totals.get((row.kind, row.currency), Decimal(0)) + row.amount
    at = at or utcnow()
    entries = [L.Entry(f"{prefix}{kind}:{currency}", kind, -total, currency, at, supplier_id=supplier_order.supplier_id,
                       supplier_order_id=supplier_order_id, description="cancelled by the supplier")
               for (kind, currency), total in sorted(totals.items()) if total]
    return _write(session, order, entries)


def _rekey(entry: L.Entry, so_key: str) -> L.Entry:
    prefix = f"supplier_order:{entry.supplier_order_id}:"
    rest = entry.source_ref.removeprefix(prefix)
    return replace(entry, source_ref=f"supplier_order:{so_key}:{rest}")


def ledger_lines(session: Session, order_id: int) -> list[dict[str, Any]]:
    """An order's ledger rows, for the order view: every money fact line by line."""
    rows = session.execute(select(LedgerEntry).where(LedgerEntry.order_id == order_id)
                           .order_by(LedgerEntry.occurred_at, LedgerEntry.id)).scalars().all()
    return [{"source_ref": r.source_ref, "kind": r.kind, "amount": format_amount(r.amount, r.currency),
             "currency": r.currency, "estimated": r.estimated, "order_line_id": r.order_line_id,
             "supplier_order_id": r.supplier_order_id, "occurred_at": r.occurred_at.isoformat(),
             "booked_on": r.booked_on.isoformat()} for r in rows]


LEDGER_CURSOR = "ledger.orders"


UPSERT_ROWS = 2_000  # ledger rows per write transaction: tens of milliseconds of SQLite's write lock


def record_changed_orders(db: Any, store_id: int, batch: int = 500) -> dict[str, int]:
    """Book the money of every order of a store changed since the last run (job `ledger.orders`).

    Intake stays a single fast transaction; this follows it by `orders.updated_at`, a batch of
    orders at a time, and rewrites nothing that did not change. A batch's rows are computed from a
    read (no write lock) and upserted `UPSERT_ROWS` at a time, so one 40,000-line order never holds
    the write lock for seconds; the cursor moves with the last write, compared and set, so a crash
    in between books the batch again (upserts by source reference: the same rows).
    """
    from hub.db.models import SyncCursor
    from hub.db.sql import insert_ignore

    mine = (SyncCursor.store_id == store_id, SyncCursor.name == LEDGER_CURSOR)
    with db.read() as session:
        exists_already = session.execute(select(SyncCursor.id).where(*mine)).first() is not None
    if not exists_already:
        with db.transaction() as session:
            insert_ignore(session, SyncCursor.__table__,  # type: ignore[arg-type]
                          [{"store_id": store_id, "name": LEDGER_CURSOR, "value": None, "updated_at": utcnow()}],
                          conflict=["store_id", "name"])
    booked = orders = 0
    while True:
        with db.read() as session:
            value = session.execute(select(SyncCursor.value).where(*mine)).scalar_one()
            query = select(Order.id, Order.updated_at).where(Order.store_id == store_id)
            if value:  # keyset on (updated_at, id): many orders can share one timestamp
                stamp, _, last_id = value.rpartition("|")
                since = datetime.fromisoformat(stamp)
                query = query.where(or_(Order.updated_at > since,
                                        and_(Order.updated_at == since, Order.id > int(last_id))))
            rows = session.execute(query.order_by(Order.updated_at, Order.id).limit(batch)).all()
            if not rows:
                return {"orders": orders, "entries": booked}
            entries = order_rows(session, [order_id for order_id, _ in rows])
        last = max(0, len(entries) - UPSERT_ROWS)
        for start in range(0, last, UPSERT_ROWS):
            db.yield_to_writers()
            with db.transaction() as session:
                _upsert(session, entries[start:min(start + UPSERT_ROWS, last)])
        db.yield_to_writers()
        with db.transaction() as session:
            moved = session.execute(
                update(SyncCursor).where(*mine, SyncCursor.value.is_(None) if value is None
                                         else SyncCursor.value == value)
                .values(value=f"{rows[-1][1].isoformat()}|{rows[-1][0]}", updated_at=utcnow())
                .execution_options(synchronize_session=False))
            if moved.rowcount != 1:  # another run moved it meanwhile: its rows are as good as ours
                return {"orders": orders, "entries": booked}
            _upsert(session, entries[last:])
            reallocate(session, [order_id for order_id, _ in rows])
        booked += len(entries)
        orders += len(rows)
        if len(rows) < batch:
            return {"orders": orders, "entries": booked}
