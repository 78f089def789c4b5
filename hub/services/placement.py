"""Placing supplier orders exactly once.

The state of a supplier order is the claim: `pending → placing` is taken before the remote call
and committed, `placing → accepted` after it. A crash in between leaves `placing`, which the next
attempt treats as "maybe placed": with a supplier that honours idempotency keys the same key is
sent again (the supplier returns the first order); with one that does not, the order is looked up
by our reference first and only sent when the supplier has none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from connectors.http import ConnectorError, RemoteRejected
from hub.db.base import utcnow
from hub.db.models import (
    AttentionItem,
    Order,
    Supplier,
    SupplierOrder,
    SupplierOrderLine,
)
from hub.domain.orders import Address
from hub.domain.supplier_orders import State
from hub.logs import with_context
from hub.ports import (
    SupplierLineRequest,
    SupplierOrderRequest,
    SupplierOrderState,
    SupplierOrderStatus,
)
from hub.services import attention, events, reservations
from hub.services import outbox_messages as messages
from hub.services.attention import UNSENT_PAID_ORDER
from hub.services.ledger import record_supplier_charge
from hub.services.lifecycle import refresh_lifecycle
from hub.services.supplier_orders import abandon_unsent, claim, reroute_lines, supplier_adapter

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

FINAL_OR_PLACED = frozenset(State) - {State.PENDING, State.PLACING}


@dataclass(frozen=True)
class _Claim:
    request: SupplierOrderRequest
    supplier_kind: str
    supplier_code: str
    supplier_config: dict[str, Any]
    supplier_credentials: str | None
    uncertain: bool  # an earlier attempt may have reached the supplier


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
        found = session.execute(  # the supplier order, its store order and its supplier in one read
            select(SupplierOrder, Order.status, Order.name, Order.email, Order.shipping_address, Supplier.kind,
                   Supplier.code, Supplier.config, Supplier.credentials_encrypted)
            .join(Order, Order.id == SupplierOrder.order_id).join(Supplier, Supplier.id == SupplierOrder.supplier_id)
            .where(SupplierOrder.id == supplier_order_id)).first()
        if found is None:
            return messages.Done("supplier order is gone")
        order = found.SupplierOrder
        if order.state in FINAL_OR_PLACED:
            return messages.Done(f"already {order.state}")
        if order.not_before is not None and order.not_before > now:
            return messages.Retry("on hold before placement", after=order.not_before - now)
        uncertain = order.state == State.PLACING
        if order.state == State.PENDING and found.status == "cancelled":
            if not claim(session, supplier_order_id, State.CANCELLED, allowed_from=[State.PENDING],
                         cancelled_at=now, updated_at=now):
                return messages.Done("claimed elsewhere")
            abandon_unsent(session, supplier_order_id)
            refresh_lifecycle(session, [order.order_id])
            return messages.Done("the store order was cancelled before placement")
        if not claim(session, supplier_order_id, State.PLACING, allowed_from=[State.PENDING, State.PLACING],
                     place_attempts=SupplierOrder.place_attempts + 1, updated_at=now):
            return messages.Done("claimed elsewhere")
        lines = session.execute(select(SupplierOrderLine.supplier_sku, SupplierOrderLine.quantity,
                                       SupplierOrderLine.unit_cost).where(
            SupplierOrderLine.supplier_order_id == supplier_order_id).order_by(SupplierOrderLine.id)).all()
        address = found.shipping_address or {}
        request = SupplierOrderRequest(
            reference=order.reference, idempotency_key=order.idempotency_key, currency=order.currency,
            lines=tuple(SupplierLineRequest(line.supplier_sku, line.quantity, line.unit_cost) for line in lines),
            ship_to=Address(**{k: v for k, v in address.items() if k in Address.__dataclass_fields__}),
            email=found.email, phone=address.get("phone"), note=f"{found.name}")
        return _Claim(request, found.kind, found.code, dict(found.config), found.credentials_encrypted,
                      uncertain or order.place_attempts > 0)


def _accepted(hub: Hub, supplier_order_id: int, status: SupplierOrderStatus) -> None:
    now = utcnow()
    state = {SupplierOrderState.SHIPPED: State.SHIPPED, SupplierOrderState.DELIVERED: State.DELIVERED}.get(
        status.state, State.ACCEPTED)
    if status.shipments:  # already shipped (a resend after a crash): stay polled, so its parcels are recorded
        state = State.ACCEPTED
    with hub.db.transaction() as session:
        if not claim(session, supplier_order_id, state, allowed_from=[State.PLACING], remote_id=status.remote_id,
                     placed_at=now, accepted_at=now, last_error=None, updated_at=now):
            return
        order, code = session.execute(select(SupplierOrder, Supplier.code).join(
            Supplier, Supplier.id == SupplierOrder.supplier_id).where(SupplierOrder.id == supplier_order_id)).one()
        events.note(session, order_id=order.order_id, kind="supplier_order_placed", occurred_at=now,
                    message=f"Placed with {code} as {order.reference} (their id {status.remote_id})",
                    data={"supplier_order_id": supplier_order_id, "remote_id": status.remote_id})
        attention.resolve_open(session, [AttentionItem.kind == UNSENT_PAID_ORDER,
                                         AttentionItem.order_id == order.order_id],
                               f"sent to {code} as {order.reference}", now)
        refresh_lifecycle(session, [order.order_id])
        # Last, just before the commit, in routing's order (the store's ledger sums, then offers):
        # the rows every routing and acceptance of the store needs stay locked for a moment.
        if status.product_cost is not None:  # what the supplier charged replaces the estimate
            record_supplier_charge(session, supplier_order_id, status.product_cost,
                                   status.shipping_cost or Decimal(0), status.currency or order.currency)
        reservations.consume(session, supplier_order_id)


def _note_error(hub: Hub, supplier_order_id: int, error: str) -> None:
    with hub.db.transaction() as session:
        session.execute(update(SupplierOrder).where(SupplierOrder.id == supplier_order_id)
                        .values(last_error=error[:2000], updated_at=utcnow())
                        .execution_options(synchronize_session=False))


def _fail(hub: Hub, supplier_order_id: int, reason: str) -> None:
    """A permanent refusal: release the stock, tell a person, and let routing try another supplier."""
    now = utcnow()
    with hub.db.transaction() as session:
        if not claim(session, supplier_order_id, State.FAILED, allowed_from=[State.PLACING],
                     failed_at=now, last_error=reason[:2000], updated_at=now):
            return
        abandon_unsent(session, supplier_order_id)
        supplier_order, order = reroute_lines(session, supplier_order_id)
        events.note(session, order_id=order.id, kind="supplier_order_failed", occurred_at=now,
                    message=f"Supplier refused {supplier_order.reference}: {reason[:300]}",
                    data={"supplier_order_id": supplier_order_id})
        attention.record(session, [attention.Cause(
            f"supplier_order:{supplier_order_id}:failed", "supplier_rejected",
            f"{order.name}: supplier refused {supplier_order.reference}: {reason[:300]}", store_id=order.store_id,
            order_id=order.id, supplier_order_id=supplier_order_id)], now)
        refresh_lifecycle(session, [order.id])
