"""Routing's writes, set-based: a handful of statements per order whatever its lines and suppliers.

Stock is held with one executemany of conditional updates in offer-id order (concurrent routings
lock rows in the same order, so they never deadlock), and a short row count means someone was
faster. Supplier orders go in as one multi-row INSERT … RETURNING, their lines and reservations
as one statement each; at the end of a routing its supplier orders are handed to the outbox in
one INSERT and their estimated costs to the ledger in one upsert — all in the caller's
transaction, so nothing is placed half-written.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, exists, insert, literal, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Offer, Order, OutboxMessage, Reservation, Supplier, SupplierOrder, SupplierOrderLine
from hub.db.sql import dialect_insert
from hub.domain.outbox_kinds import OutboxKind
from hub.domain.routing import Allocation, Routed
from hub.services import outbox_messages
from hub.services.ledger import record_supplier_estimates


class StockTaken(Exception):
    """Another routing took the stock between our read and our hold (or the line changed)."""


@dataclass(frozen=True)
class OpenSupplierOrder:
    id: int
    supplier_id: int
    supplier_code: str
    idempotency_key: str
    not_before: datetime | None
    currency: str
    expected_cost: Decimal
    expected_shipping: Decimal
    created_at: datetime | None


def reference_for(order_id: int, supplier_id: int, attempt: int) -> str:
    return f"H{order_id}-S{supplier_id}-{attempt}"


def hold_stock(session: Session, allocations: list[Allocation]) -> None:
    """Claim stock offer by offer, in id order; any shortfall means someone was faster."""
    needed: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        needed[allocation.offer_id] += allocation.quantity
    if not needed:
        return
    offers = cast(Table, Offer.__table__)
    statement = (offers.update()
                 .where(offers.c.id == bindparam("offer"), offers.c.stock - offers.c.reserved >= bindparam("need"))
                 .values(reserved=offers.c.reserved + bindparam("need")))
    # One executemany in id order (rows lock in that order); the summed row count says whether
    # every offer still had the units.
    held = session.connection().execute(statement, [{"offer": offer_id, "need": needed[offer_id]}
                                                    for offer_id in sorted(needed)])
    if held.rowcount != len(needed):
        raise StockTaken(sorted(needed))


def open_supplier_orders(session: Session, order_id: int,
                         attempts: dict[int, int] | None = None) -> dict[int, OpenSupplierOrder]:
    """This routing's supplier orders so far (by supplier): pending, not yet handed to the outbox.
    `attempts`, when given, receives how many supplier orders each supplier has for the order."""
    queued = exists().where(OutboxMessage.idempotency_key == literal("place:") + SupplierOrder.idempotency_key)
    rows = session.execute(select(
        SupplierOrder.id, SupplierOrder.supplier_id, Supplier.code, SupplierOrder.idempotency_key,
        SupplierOrder.not_before, SupplierOrder.currency, SupplierOrder.expected_cost,
        SupplierOrder.expected_shipping, SupplierOrder.created_at,
        ((SupplierOrder.state == "pending") & ~queued).label("open"))
        .join(Supplier, Supplier.id == SupplierOrder.supplier_id)
        .where(SupplierOrder.order_id == order_id).order_by(SupplierOrder.id)).all()
    if attempts is not None:
        for row in rows:
            attempts[row.supplier_id] = attempts.get(row.supplier_id, 0) + 1
    return {row.supplier_id: OpenSupplierOrder(row.id, row.supplier_id, row.code, row.idempotency_key, row.not_before,
                                               row.currency, row.expected_cost, row.expected_shipping, row.created_at)
            for row in rows if row.open}


def add_to_supplier_orders(session: Session, order_id: int, routed: list[Routed], not_before: datetime,
                           skus: dict[int, str]) -> None:
    """The allocations join this routing's supplier order of their supplier (created on first
    need); `skus` is the supplier SKU of each offer, from the read the decision was made on."""
    by_supplier: dict[int, list[tuple[int, Allocation]]] = defaultdict(list)
    for decision in routed:
        for allocation in decision.allocations:
            by_supplier[allocation.supplier_id].append((decision.line_id, allocation))
    if not by_supplier:
        return
    ids = _supplier_order_ids(session, order_id, by_supplier, not_before)
    missing = {a.offer_id for items in by_supplier.values() for _, a in items} - set(skus)
    if missing:  # not from the decision's read (a caller without it): one look-up
        skus = {**skus, **dict(session.execute(select(Offer.id, Offer.supplier_sku)
                                               .where(Offer.id.in_(missing))).all())}
    now = utcnow()
    line_rows: list[dict[str, object]] = []
    held_rows: list[dict[str, object]] = []
    for supplier_id, items in sorted(by_supplier.items()):
        for line_id, allocation in items:
            line_rows.append({"supplier_order_id": ids[supplier_id], "order_line_id": line_id,
                              "offer_id": allocation.offer_id, "supplier_sku": skus[allocation.offer_id],
                              "quantity": allocation.quantity, "unit_cost": allocation.unit_cost,
                              "shipping_cost": allocation.shipping_cost})
            held_rows.append({"offer_id": allocation.offer_id, "order_line_id": line_id,
                              "quantity": allocation.quantity, "state": "held"})
    session.execute(insert(SupplierOrderLine), line_rows)
    # A line sent again to an offer it was held on before (a person retrying a supplier that
    # refused) reuses its released reservation row: (line, offer) is unique.
    held = dialect_insert(session, cast(Table, Reservation.__table__))
    session.execute(held.on_conflict_do_update(
        index_elements=["order_line_id", "offer_id"],
        set_={"state": "held", "quantity": held.excluded.quantity, "updated_at": held.excluded.updated_at}),
        [{**row, "created_at": now, "updated_at": now} for row in held_rows])


def _supplier_order_ids(session: Session, order_id: int, by_supplier: dict[int, list[tuple[int, Allocation]]],
                        not_before: datetime) -> dict[int, int]:
    """The supplier order of each supplier: an open one gets the new costs added, the others are
    created in one INSERT (attempt = earlier supplier orders of that pair + 1)."""
    def costs(items: list[tuple[int, Allocation]]) -> tuple[Decimal, Decimal]:
        return (sum((a.unit_cost * a.quantity for _, a in items), Decimal(0)),
                sum((a.shipping_cost * a.quantity for _, a in items), Decimal(0)))

    earlier: dict[int, int] = {}  # supplier → its supplier orders of this order, open or not
    open_orders = open_supplier_orders(session, order_id, earlier)
    ids = {supplier_id: open_orders[supplier_id].id for supplier_id in by_supplier if supplier_id in open_orders}
    if ids:  # a big order's later chunk: add to what the earlier chunks started
        table = cast(Table, SupplierOrder.__table__)
        session.connection().execute(
            table.update().where(table.c.id == bindparam("so"))
            .values(expected_cost=table.c.expected_cost + bindparam("cost"),
                    expected_shipping=table.c.expected_shipping + bindparam("shipping")),
            [{"so": ids[s], "cost": costs(by_supplier[s])[0], "shipping": costs(by_supplier[s])[1]}
             for s in sorted(ids)])
    new = sorted(set(by_supplier) - set(ids))
    if not new:
        return ids
    rows: list[dict[str, Any]] = []
    for supplier_id in new:
        attempt = 1 + int(earlier.get(supplier_id, 0))
        reference = reference_for(order_id, supplier_id, attempt)
        cost, shipping = costs(by_supplier[supplier_id])
        rows.append({"order_id": order_id, "supplier_id": supplier_id, "attempt": attempt, "reference": reference,
                     "idempotency_key": hashlib.sha256(f"hub-supplier-order:{reference}".encode()).hexdigest()[:40],
                     "state": "pending", "currency": by_supplier[supplier_id][0][1].currency,
                     "expected_cost": cost, "expected_shipping": shipping, "not_before": not_before})
    table = cast(Table, SupplierOrder.__table__)
    created: list[Row[Any]] = list(session.execute(
        table.insert().returning(table.c.id, table.c.supplier_id), rows).all())
    ids.update({row.supplier_id: row.id for row in created})
    return ids


def hand_over(session: Session, order: Order) -> list[OpenSupplierOrder]:
    """This routing's supplier orders to the outbox (one INSERT). Returns them by id."""
    created = sorted(open_supplier_orders(session, order.id).values(), key=lambda so: so.id)
    if created:
        outbox_messages.enqueue_many(session, OutboxKind.PLACE, [
            (f"place:{so.idempotency_key}", {"supplier_order_id": so.id}, so.not_before) for so in created])
    return created


def book_estimates(session: Session, order: Order, created: list[OpenSupplierOrder]) -> None:
    """Their estimated costs to the ledger (one upsert), until the supplier's charge replaces them.
    Late in the transaction: it waits for, then locks, the store's ledger sums until the commit."""
    record_supplier_estimates(session, order, [
        (so.id, so.supplier_id, so.expected_cost, so.expected_shipping, so.currency, so.created_at)
        for so in created])
