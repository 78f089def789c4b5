"""An order's ledger rows with their words: the names each row needs (line, supplier, supplier
order) are read in two queries and handed to the pure `describe_entry`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import OrderLine, Supplier, SupplierOrder
from hub.domain.money_words import EntryNames, describe_entry


def describe_ledger(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` as `ledger.ledger_lines` gives them, each with a `description` added."""
    line_ids = {r["order_line_id"] for r in rows if r.get("order_line_id")}
    so_ids = {r["supplier_order_id"] for r in rows if r.get("supplier_order_id")}
    lines = {lid: (title, sku, qty) for lid, title, sku, qty in session.execute(
        select(OrderLine.id, OrderLine.title, OrderLine.sku, OrderLine.quantity)
        .where(OrderLine.id.in_(line_ids)))} if line_ids else {}
    orders = {sid: (ref, code) for sid, ref, code in session.execute(
        select(SupplierOrder.id, SupplierOrder.reference, Supplier.code)
        .join(Supplier, Supplier.id == SupplierOrder.supplier_id).where(SupplierOrder.id.in_(so_ids)))
    } if so_ids else {}
    out = []
    for row in rows:
        title, sku, qty = lines.get(row.get("order_line_id") or 0, (None, None, None))
        reference, code = orders.get(row.get("supplier_order_id") or 0, (None, None))
        names = EntryNames(line_title=title, line_sku=sku, quantity=qty, supplier=code, supplier_order=reference)
        out.append({**row, "description": describe_entry(row["kind"], row["source_ref"], names,
                                                         estimated=bool(row.get("estimated")))})
    return out
