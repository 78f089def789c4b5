"""Placing supplier orders exactly once.

The state of a supplier order is the claim: `pending → placing` is taken before the remote call
and committed, `placing → accepted` after it. A crash in between leaves `placing`, which the next
attempt treats as "maybe placed": with a supplier that honours idempotency keys the same key is
sent again (the supplier returns the first order); with one that does not, the order is looked up
by our reference first and only sent when the supplier has none.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connectors.http import ConnectorError, RemoteRejected
from hub.db.base import utcnow
from hub.db.models import (
    AttentionItem,
    Order,
    OrderEvent,
    OrderLine,
    Store,
    Supplier,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.db.sql import insert_ignore
from hub.domain.orders import Address
from hub.logs import with_context
from hub.ports import (
    Supplier as SupplierPort,
)
from hub.ports import (
    SupplierLineRequest,
    SupplierOrderRequest,
    SupplierOrderState,
    SupplierOrderStatus,
)
from hub.services import attention, reservations
from hub.services import outbox_messages as messages
from hub.services.attention import UNSENT_PAID_ORDER
from hub.services.ledger import drop_supplier_estimate, record_supplier_charge
from hub.services.lifecycle import refresh_lifecycle

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

FINAL_OR_PLACED = {"accepted", "shipped", "delivered", "cancelled", "failed"}


@dataclass(frozen=True)
class _Claim:
    request: SupplierOrderRequest
    supplier_kind: str
    supplier_code: str
    supplier_config: dict[str, Any]
    supplier_credentials: str | None
    uncertain: bool  # an earlier attempt may have reached the supplier


def supplier_adapter(hub: Hub, kind: str, code: str, config: dict[str, Any],
                     credentials: str | None) -> SupplierPort:
    """The connector of one supplier, with its secrets decrypted only into the adapter."""
    secrets = json.loads(hub.cipher.decrypt(credentials)) if credentials else {}
    settings: dict[str, Any] = {"code": code, **config}
    if kind == "csv_po" and not settings.get("folder"):
        settings["folder"] = str(Path(hub.settings.var_dir) / "purchase-orders")
    return hub.connectors.supplier(kind, settings, secrets)


@with_context(lambda hub, payload: {"supplier_order_id": payload.get("supplier_order_id")})
def place(hub: Hub, payload: dict[str, Any]) -> messages.Outcome:
    supplier_order_id = int(payload["supplier_order_id"])
    claim = _claim(hub, supplier_order_id)
    if isinstance(claim, messages.Done | messages.Retry):
        return claim
    adapter = supplier_adapter(hub, claim.supplier_kind, claim.supplier_code, claim.supplier_config,
                               claim.supplier_credentials)
    try:
        status = None
        if claim.uncertain and not adapter.honours_idempotency_key:
            status = adapter.get_order(claim.request.reference)
        if status is None:
            status = adapter.place_order(claim.request)
    except RemoteRejected as exc:
        _fail(hub, supplier_order_id, str(exc))
        return messages.Done(f"refused: {exc}")
    except ConnectorError as exc:  # temporary: the state stays `placing` (maybe placed) for the retry
        _note_error(hub, supplier_order_id, str(exc))
        return messages.Retry(str(exc))
    finally:
        adapter.close()
    _accepted(hub, supplier_order_id, status)
    return messages.Done(status.remote_id)


def _claim(hub: Hub, supplier_order_id: int) -> _Claim | messages.Done | messages.Retry:
    now = utcnow()
    with hub.db.transaction() as session:
        order = session.get(SupplierOrder, supplier_order_id)
        if order is None:
            return messages.Done("supplier order is gone")
        if order.state in FINAL_OR_PLACED:
            return messages.Done(f"already {order.state}")
        if order.not_before is not None and order.not_before > now:
            return messages.Retry("on hold before placement", after=order.not_before - now)
        uncertain = order.state == "placing"
        if order.state == "pending" and _store_order_cancelled(session, order.order_id):
            session.execute(update(SupplierOrder).where(SupplierOrder.id == supplier_order_id,
                                                        SupplierOrder.state == "pending")
                            .values(state="cancelled", cancelled_at=now, updated_at=now)
                            .execution_options(synchronize_session=False))
            abandon_unsent(session, supplier_order_id)
            refresh_lifecycle(session, [order.order_id])
            return messages.Done("the store order was cancelled before placement")
        claimed = session.execute(
            update(SupplierOrder).where(SupplierOrder.id == supplier_order_id,
                                        SupplierOrder.state.in_(["pending", "placing"]))
            .values(state="placing", place_attempts=SupplierOrder.place_attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return messages.Done("claimed elsewhere")
        supplier = session.get(Supplier, order.supplier_id)
        store_order = session.get(Order, order.order_id)
        assert supplier is not None and store_order is not None
        lines = session.execute(select(SupplierOrderLine).where(
            SupplierOrderLine.supplier_order_id == supplier_order_id).order_by(SupplierOrderLine.id)).scalars().all()
        address = store_order.shipping_address or {}
        request = SupplierOrderRequest(
            reference=order.reference, idempotency_key=order.idempotency_key, currency=order.currency,
            lines=tuple(SupplierLineRequest(line.supplier_sku, line.quantity, line.unit_cost) for line in lines),
            ship_to=Address(**{k: v for k, v in address.items() if k in Address.__dataclass_fields__}),
            email=store_order.email, phone=address.get("phone"), note=f"{store_order.name}")
        return _Claim(request, supplier.kind, supplier.code, dict(supplier.config), supplier.credentials_encrypted,
                      uncertain or order.place_attempts > 0)


def _store_order_cancelled(session: Session, order_id: int) -> bool:
    status: str = session.execute(select(Order.status).where(Order.id == order_id)).scalar_one()
    return status == "cancelled"


def _accepted(hub: Hub, supplier_order_id: int, status: SupplierOrderStatus) -> None:
    now = utcnow()
    state = {SupplierOrderState.SHIPPED: "shipped", SupplierOrderState.DELIVERED: "delivered"}.get(
        status.state, "accepted")
    if status.shipments:  # already shipped (a resend after a crash): stay polled, so its parcels are recorded
        state = "accepted"
    with hub.db.transaction() as session:
        done = session.execute(
            update(SupplierOrder).where(SupplierOrder.id == supplier_order_id, SupplierOrder.state == "placing")
            .values(state=state, remote_id=status.remote_id, placed_at=now, accepted_at=now, last_error=None,
                    updated_at=now).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return
        reservations.consume(session, supplier_order_id)
        order = session.get(SupplierOrder, supplier_order_id)
        assert order is not None
        if status.product_cost is not None:  # what the supplier charged replaces the estimate
            record_supplier_charge(session, supplier_order_id, status.product_cost,
                                   status.shipping_cost or Decimal(0), status.currency or order.currency)
        code = session.execute(select(Supplier.code).where(Supplier.id == order.supplier_id)).scalar_one()
        session.add(OrderEvent(order_id=order.order_id, kind="supplier_order_placed", occurred_at=now,
                               message=f"Placed with {code} as {order.reference} (their id {status.remote_id})",
                               data={"supplier_order_id": supplier_order_id, "remote_id": status.remote_id}))
        attention.resolve_open(session, [AttentionItem.kind == UNSENT_PAID_ORDER,
                                         AttentionItem.order_id == order.order_id],
                               f"sent to {code} as {order.reference}", now)
        refresh_lifecycle(session, [order.order_id])


def _note_error(hub: Hub, supplier_order_id: int, error: str) -> None:
    with hub.db.transaction() as session:
        session.execute(update(SupplierOrder).where(SupplierOrder.id == supplier_order_id)
                        .values(last_error=error[:2000], updated_at=utcnow())
                        .execution_options(synchronize_session=False))


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


def _fail(hub: Hub, supplier_order_id: int, reason: str) -> None:
    """A permanent refusal: release the stock, tell a person, and let routing try another supplier."""
    now = utcnow()
    with hub.db.transaction() as session:
        failed = session.execute(
            update(SupplierOrder).where(SupplierOrder.id == supplier_order_id, SupplierOrder.state == "placing")
            .values(state="failed", failed_at=now, last_error=reason[:2000], updated_at=now)
            .execution_options(synchronize_session=False))
        if failed.rowcount != 1:  # type: ignore[attr-defined]
            return
        abandon_unsent(session, supplier_order_id)
        supplier_order, order = reroute_lines(session, supplier_order_id)
        session.add(OrderEvent(order_id=order.id, kind="supplier_order_failed", occurred_at=now,
                               message=f"Supplier refused {supplier_order.reference}: {reason[:300]}",
                               data={"supplier_order_id": supplier_order_id}))
        insert_ignore(session, AttentionItem.__table__,  # type: ignore[arg-type]
                      [{"dedupe_key": f"supplier_order:{supplier_order_id}:failed", "kind": "supplier_rejected",
                        "reason": f"{order.name}: supplier refused {supplier_order.reference}: {reason[:300]}",
                        "store_id": order.store_id, "order_id": order.id, "supplier_order_id": supplier_order_id,
                        "details": {}, "created_at": now, "resolved_at": None}], conflict=["dedupe_key"])
        refresh_lifecycle(session, [order.id])
