"""Writes the allocation of orders' ledger entries (`hub.domain.allocation`) into `ledger_parts`.

Called by the ledger writer in the same transaction as the entries it writes: an order's parts are
deleted and written again whole, so they always follow the entries, the lines and the routing
(estimates, charges, credits all pass through the writer). Triggers keep `ledger_part_daily`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hub.db.models import LedgerEntry, LedgerPart, Order, OrderLine, SupplierOrder, SupplierOrderLine
from hub.db.models.allocation import KEY_LENGTH, NO_PRODUCT_KEY
from hub.domain import allocation as A
from hub.domain import ledger as L

logger = logging.getLogger(__name__)

CHUNK = 500  # orders per read
DEAD_STATES = ("cancelled", "failed")  # supplier orders that fulfil nothing


def reallocate(session: Session, order_ids: Iterable[int]) -> int:
    """Rewrite the parts of every ledger entry of these orders; returns the parts written."""
    ids = sorted(set(order_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        written += _reallocate_chunk(session, ids[start:start + CHUNK])
    return written


def reallocate_all(session: Session) -> int:
    """Every order with ledger entries (the migration's backfill and `hub ledger reallocate`)."""
    ids = session.execute(select(LedgerEntry.order_id).where(LedgerEntry.order_id.is_not(None))
                          .distinct()).scalars().all()
    written = reallocate(session, [i for i in ids if i is not None])
    logger.info("ledger reallocated", extra={"orders": len(ids), "parts": written})
    return written


def product_key(sku: str | None, title: str) -> str:
    """A line's product: its SKU, or its title marked as such when it has none."""
    return (sku or f"(no SKU) {title}")[:KEY_LENGTH]


def _reallocate_chunk(session: Session, ids: list[int]) -> int:
    entries = session.execute(select(
        LedgerEntry.id, LedgerEntry.order_id, LedgerEntry.kind, LedgerEntry.amount, LedgerEntry.currency,
        LedgerEntry.order_line_id, LedgerEntry.supplier_id, LedgerEntry.supplier_order_id, LedgerEntry.estimated,
        LedgerEntry.store_id, LedgerEntry.booked_on).where(LedgerEntry.order_id.in_(ids))
        .order_by(LedgerEntry.id)).all()
    lines = session.execute(select(OrderLine.id, OrderLine.order_id, OrderLine.sku, OrderLine.title,
                                   OrderLine.quantity).where(OrderLine.order_id.in_(ids))
                            .order_by(OrderLine.id)).all()
    cancelled = set(session.execute(select(Order.id).where(Order.id.in_(ids), Order.cancelled_at.is_not(None)))
                    .scalars())
    supplier_orders = session.execute(select(SupplierOrder.id, SupplierOrder.order_id, SupplierOrder.supplier_id,
                                             SupplierOrder.state).where(SupplierOrder.order_id.in_(ids))).all()
    so_lines = session.execute(select(
        SupplierOrderLine.supplier_order_id, SupplierOrderLine.order_line_id, SupplierOrderLine.quantity,
        SupplierOrderLine.unit_cost, SupplierOrderLine.shipping_cost)
        .join(SupplierOrder, SupplierOrder.id == SupplierOrderLine.supplier_order_id)
        .where(SupplierOrder.order_id.in_(ids)).order_by(SupplierOrderLine.id)).all()
    session.execute(delete(LedgerPart).where(LedgerPart.order_id.in_(ids)).execution_options(synchronize_session=False))

    facts_of: dict[int, list[Any]] = defaultdict(list)
    for entry in entries:
        facts_of[entry.order_id].append(entry)
    lines_of: dict[int, list[Any]] = defaultdict(list)
    for line in lines:
        lines_of[line.order_id].append(line)
    so_info = {so.id: so for so in supplier_orders}
    sol_of: dict[int, list[A.SupplierOrderLine]] = defaultdict(list)
    for row in so_lines:
        sol_of[row.supplier_order_id].append(A.SupplierOrderLine(
            row.order_line_id, row.quantity, row.unit_cost * row.quantity, row.shipping_cost))
    costed = {e.supplier_order_id for e in entries if e.kind == L.SUPPLIER_COST and e.supplier_order_id is not None}

    rows: list[dict[str, Any]] = []
    for order_id, facts in facts_of.items():
        rows += _order_rows(order_id in cancelled, facts, lines_of[order_id], so_info, sol_of, so_lines, costed)
    if rows:
        session.execute(insert(LedgerPart), rows)
    return len(rows)


def _order_rows(cancelled: bool, facts: Sequence[Any], lines: Sequence[Any], so_info: dict[int, Any],
                sol_of: dict[int, list[A.SupplierOrderLine]], so_lines: Sequence[Any],
                costed: set[int]) -> list[dict[str, Any]]:
    line_ids = {line.id for line in lines}
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    for fact in facts:
        if fact.kind == L.SALE and fact.order_line_id in line_ids:
            revenue[fact.order_line_id] += fact.amount
    live: dict[int, dict[int, int]] = defaultdict(dict)  # line -> supplier -> quantity
    uncosted: set[int] = set()  # lines with a live supplier order that has no cost booked yet
    for row in so_lines:
        so = so_info[row.supplier_order_id]
        if row.order_line_id not in line_ids or so.state in DEAD_STATES:
            continue
        live[row.order_line_id][so.supplier_id] = live[row.order_line_id].get(so.supplier_id, 0) + row.quantity
        if so.id not in costed:
            uncosted.add(row.order_line_id)
    domain_lines = [A.Line(line.id, line.quantity, revenue[line.id], tuple(live.get(line.id, {}).items()))
                    for line in lines]
    incomplete = {line.id for line in lines if not cancelled and (line.id not in live or line.id in uncosted)}
    by_entry = {fact.id: fact for fact in facts}
    parts = A.allocate([A.Fact(f.id, f.kind, f.amount, f.currency, f.order_line_id, f.supplier_id,
                               f.supplier_order_id) for f in facts], domain_lines,
                       {so_id: sol_of[so_id] for so_id in so_info if so_id in sol_of})
    info = {line.id: (product_key(line.sku, line.title), line.title[:KEY_LENGTH]) for line in lines}
    order_incomplete = bool(incomplete)
    rows: list[dict[str, Any]] = []
    for part in parts:
        fact = by_entry[part.entry_id]
        product, label = info.get(part.line_id, (NO_PRODUCT_KEY, NO_PRODUCT_KEY)) if part.line_id is not None \
            else (NO_PRODUCT_KEY, NO_PRODUCT_KEY)
        rows.append({
            "entry_id": fact.id, "order_id": fact.order_id, "store_id": fact.store_id or 0,
            "booked_on": fact.booked_on, "currency": fact.currency, "kind": fact.kind,
            "order_line_id": part.line_id, "product": product, "label": label, "supplier_id": part.supplier_id,
            "amount": part.amount, "estimated": bool(fact.estimated),
            "incomplete": part.line_id in incomplete if part.line_id is not None else order_incomplete,
        })
    return rows
