"""Where an attention item stands: is its cause still there, and what became of its lines.

Read by the actions after they ran (`attention_actions`) and by the page they redirect to: an item
closes because this finds its cause gone, never because a button was pressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from hub.db.models import AttentionItem, Order, OrderLine, Supplier, SupplierOrder
from hub.db.models import SupplierOrderLine as SOLine
from hub.domain import attention_actions as rules
from hub.domain.attention_actions import Action
from hub.domain.routing import ATTENTION_TEXT, Attention
from hub.errors import UserError

if TYPE_CHECKING:
    from hub.bootstrap import Hub

DEAD = ("failed", "cancelled")  # supplier order states that will not ship

class ActionError(UserError):
    """An action refused with a sentence; `field` names the input at fault (`_form`: the whole)."""

    def __init__(self, message: str, field: str = "_form") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Outcome:
    item_id: int
    action: str
    closed: bool  # the item's cause is gone (it left the list)
    message: str  # what happened, as a person says it
    order_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.item_id, "action": self.action, "closed": self.closed, "message": self.message,
                "order_id": self.order_id}


@dataclass(frozen=True)
class Item:
    id: int
    kind: str
    order_id: int | None
    supplier_order_id: int | None
    details: dict[str, Any]



def line_of(session: Session, item: Item) -> OrderLine:
    line_id = item.details.get("order_line_id")
    line = session.get(OrderLine, int(line_id)) if line_id is not None else None
    if line is None:
        raise ActionError("The order line of this item is gone.")
    return line



def stranded_lines(session: Session, supplier_order_id: int) -> list[int]:
    """Lines of a supplier order that will not ship which no live supplier order carries (and whose
    store order is not cancelled): what still needs a supplier."""
    other, live = aliased(SOLine), aliased(SupplierOrder)
    carried = exists().where(other.order_line_id == SOLine.order_line_id, other.supplier_order_id == live.id,
                             live.id != supplier_order_id, live.state.not_in(DEAD))
    return list(session.execute(select(SOLine.order_line_id).join(OrderLine, OrderLine.id == SOLine.order_line_id)
                                .join(Order, Order.id == OrderLine.order_id)
                                .where(SOLine.supplier_order_id == supplier_order_id, ~carried,
                                       OrderLine.routing_status != "cancelled", Order.status != "cancelled")
                                .order_by(SOLine.order_line_id).distinct()).scalars())



def gone(session: Session, item: Item, now: datetime) -> str | None:
    """Why the item's cause no longer holds, or None while it does."""
    if item.kind in rules.LINE_KINDS:
        line = line_of(session, item)
        if line.routing_status == "attention" and line.attention_reason == item.kind:
            return None
        return {"routed": "the line is routed now", "attention": "the line needs attention for another reason now"
                }.get(line.routing_status, "the line no longer waits")
    if item.kind in rules.SUPPLIER_ORDER_KINDS and item.supplier_order_id is not None:
        return None if stranded_lines(session, item.supplier_order_id) else "its lines are with a supplier again"
    if item.kind in rules.LATE_KINDS and item.supplier_order_id is not None:
        state = session.execute(select(SupplierOrder.state).where(SupplierOrder.id == item.supplier_order_id)
                                ).scalar_one_or_none()
        return None if state == "accepted" else f"the supplier order is {state} now"
    return None


def where_it_stands(session: Session, item: Item, closed: bool) -> str:
    if item.kind in rules.LINE_KINDS:
        line = line_of(session, item)
        if line.routing_status == "attention" and line.attention_reason:
            reason = Attention(line.attention_reason) if line.attention_reason in Attention.__members__.values() \
                else None
            return f"Still needs attention: {ATTENTION_TEXT[reason] if reason else line.attention_reason}."
        return carried(session, [line.id]) or ("Done." if closed else "Nothing changed.")
    if item.kind in rules.SUPPLIER_ORDER_KINDS and item.supplier_order_id is not None:
        if closed:
            lines = list(session.execute(select(SOLine.order_line_id).where(
                SOLine.supplier_order_id == item.supplier_order_id)).scalars())
            return carried(session, lines) or "Its lines are with a supplier again."
        return "Still waiting for a supplier: no offer could take the lines (see the order)."
    return "Done." if closed else "Nothing changed."


def carried(session: Session, line_ids: list[int]) -> str:
    rows = session.execute(select(Supplier.code, SupplierOrder.reference).join(
        SupplierOrder, SupplierOrder.supplier_id == Supplier.id).join(SOLine, and_(
            SOLine.supplier_order_id == SupplierOrder.id, SOLine.order_line_id.in_(line_ids)))
        .where(SupplierOrder.state.not_in(DEAD)).distinct().order_by(SupplierOrder.reference)).all()
    if not rows:
        return ""
    return "Routed to " + ", ".join(f"{code} as {reference}" for code, reference in rows) + \
        "; it goes to the supplier now."


def outcome_of(hub: Hub, item_id: int, action: str) -> Outcome | None:
    """Where an item stands after an action (for the page it redirects to); None if unknown."""
    with hub.db.read() as session:
        row = session.get(AttentionItem, item_id)
        if row is None:
            return None
        item = Item(row.id, row.kind, row.order_id, row.supplier_order_id, dict(row.details or {}))
        closed = row.resolved_at is not None
        if action == Action.DISMISS:
            message = "Dismissed." if closed else "Not dismissed."
        elif action == Action.APPROVE:
            message = "Approved: the price goes to the store now."
        elif action == Action.REJECT:
            message = "Refused: the store keeps its price."
        elif action == Action.CONTACTED and item.details.get("snoozed_until"):
            message = f"Noted; it comes back on {item.details['snoozed_until'][:16].replace('T', ' ')} UTC " \
                      "if nothing has shipped by then."
        elif action == Action.CANCEL_REROUTE and not closed:
            message = "Asked the supplier to cancel; once it confirms, the lines are routed to another supplier."
        else:
            message = where_it_stands(session, item, closed)
        return Outcome(item.id, action, closed, message, item.order_id)


