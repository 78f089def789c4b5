"""Changing a supplier order's state: one claim helper, and what goes with leaving the queue.

`claim` is a conditional UPDATE (`… WHERE id = :id AND state IN (allowed sources)`) whose row
count says whether this caller won the move; a concurrent worker that lost sees False and does
nothing. The allowed sources come from `hub.domain.supplier_orders.TRANSITIONS`, so a move the
table forbids is refused here (IllegalTransition) and by the database's CHECK on the state list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import Order, OrderLine, Store, SupplierOrder, SupplierOrderLine
from hub.domain.supplier_orders import State, checked_sources
from hub.ports import Supplier as SupplierPort
from hub.services import reservations
from hub.services.ledger import drop_supplier_estimate

if TYPE_CHECKING:
    from hub.bootstrap import Hub

def claim(session: Session, supplier_order_id: int, target: State, *,
          allowed_from: Iterable[State] | None = None, **values: Any) -> bool:
    """Move one supplier order to `target` if it is in one of `allowed_from` (default: every
    state the transition table allows); `values` are set in the same statement. True if this
    call made the move."""
    sources = checked_sources(target, allowed_from)
    values.setdefault("updated_at", utcnow())
    moved = session.execute(
        update(SupplierOrder)
        .where(SupplierOrder.id == supplier_order_id, SupplierOrder.state.in_([s.value for s in sources]))
        .values(state=target.value, **values)
        .execution_options(synchronize_session=False))
    rows: int = moved.rowcount  # type: ignore[attr-defined]
    return rows == 1


def supplier_adapter(hub: Hub, kind: str, code: str, config: dict[str, Any],
                     credentials: str | None) -> SupplierPort:
    """The connector of one supplier, with its secrets decrypted only into the adapter."""
    secrets = json.loads(hub.cipher.decrypt(credentials)) if credentials else {}
    settings: dict[str, Any] = {"code": code, **config}
    if kind == "csv_po" and not settings.get("folder"):
        settings["folder"] = str(Path(hub.settings.var_dir) / "purchase-orders")
    return hub.connectors.supplier(kind, settings, secrets)


def abandon_unsent(session: Session, supplier_order_id: int) -> None:
    """A supplier order that will never be sent or charged (cancelled first, refused): the stock
    held for it and its estimated cost go, in the caller's transaction with the state change."""
    reservations.release(session, supplier_order_id)
    drop_supplier_estimate(session, supplier_order_id)


def reroute_lines(session: Session, supplier_order_id: int) -> tuple[SupplierOrder, Order]:
    """A supplier order that will not ship: its lines wait for routing again (unless the store
    says not to, or the store order is cancelled). Returns the supplier order and store order."""
    supplier_order = session.get(SupplierOrder, supplier_order_id)
    assert supplier_order is not None
    order = session.get(Order, supplier_order.order_id)
    assert order is not None
    line_ids = list(session.execute(select(SupplierOrderLine.order_line_id).where(
        SupplierOrderLine.supplier_order_id == supplier_order_id)).scalars())
    store = session.get(Store, order.store_id)
    routing = (store.settings if store else {}).get("routing", {})
    if bool(routing.get("reroute_on_failure", True)) and order.status != "cancelled":
        session.execute(update(OrderLine).where(OrderLine.id.in_(line_ids))
                        .values(routing_status="pending").execution_options(synchronize_session=False))
        order.status = "new"
    return supplier_order, order
