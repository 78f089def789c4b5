"""Which actions an attention item offers, by its kind, and the words for them. Pure.

Every kind can be dismissed (with a reason); the others are the ways to end the item's cause:
map the product, send the line to another offer, place it once over the cost rules, try the
refusing supplier again, approve or refuse the price, note that the supplier was contacted, or cancel a
late supplier order and route its lines again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Action(StrEnum):
    MAP = "map"
    ROUTE_TO = "route_to"
    PLACE_ONCE = "place_once"
    RETRY = "retry"
    APPROVE = "approve"
    REJECT = "reject"
    CONTACTED = "contacted"
    CANCEL_REROUTE = "cancel_reroute"
    DISMISS = "dismiss"


ACTION_WORDS = {
    Action.MAP: "Map and route",
    Action.ROUTE_TO: "Route to this offer",
    Action.PLACE_ONCE: "Place this once",
    Action.RETRY: "Retry the same supplier",
    Action.APPROVE: "Approve the price",
    Action.REJECT: "Keep the current price",
    Action.CONTACTED: "Supplier contacted",
    Action.CANCEL_REROUTE: "Cancel and reroute",
    Action.DISMISS: "Dismiss",
}

# Line kinds: an order line that routing could not place (hub.domain.routing.Attention).
LINE_KINDS = frozenset({"no_mapping", "out_of_stock", "country_not_served", "over_max_cost", "negative_margin",
                        "no_fx_rate"})
SUPPLIER_ORDER_KINDS = frozenset({"supplier_rejected", "supplier_cancelled"})
LATE_KINDS = frozenset({"late_shipment", "stalled_shipment"})

BY_KIND: dict[str, tuple[Action, ...]] = {
    "no_mapping": (Action.MAP,),
    "out_of_stock": (Action.ROUTE_TO,),
    "country_not_served": (Action.ROUTE_TO,),
    "over_max_cost": (Action.PLACE_ONCE,),
    "negative_margin": (Action.PLACE_ONCE,),
    "supplier_rejected": (Action.ROUTE_TO, Action.RETRY),
    "supplier_cancelled": (Action.ROUTE_TO, Action.RETRY),
    "price_approval": (Action.APPROVE, Action.REJECT),
    "late_shipment": (Action.CONTACTED, Action.CANCEL_REROUTE),
    "stalled_shipment": (Action.CONTACTED,),
}

KIND_WORDS = {
    "no_mapping": "No offer mapped",
    "out_of_stock": "Out of stock",
    "country_not_served": "Country not served",
    "over_max_cost": "Over the maximum cost",
    "negative_margin": "Costs more than it sells for",
    "no_fx_rate": "No exchange rate",
    "supplier_rejected": "Supplier refused",
    "supplier_cancelled": "Supplier cancelled",
    "price_approval": "Price to approve",
    "late_shipment": "Late shipment",
    "stalled_shipment": "Parcel not moving",
    "unsent_paid_order": "Paid, never sent",
    "cancel_too_late": "Cancelled too late",
    "stock_running_out": "Stock running out",
}

SNOOZE = timedelta(days=2)  # "supplier contacted": the item comes back if nothing ships meanwhile
REASON_MAX = 500


class ActionRefused(ValueError):
    """The action does not fit the item, or its input is wrong; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "_form") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Request:
    """What a person asked, checked: the action, an offer (id) when it needs one, and the reason."""

    action: Action
    offer_id: int | None = None
    reason: str = ""


def actions_for(kind: str) -> tuple[Action, ...]:
    return (*BY_KIND.get(kind, ()), Action.DISMISS)


def check(kind: str, action: str, *, offer_id: int | None = None, reason: str = "") -> Request:
    """The request, or ActionRefused with the sentence a person reads beside the field."""
    try:
        chosen = Action(action)
    except ValueError:
        raise ActionRefused(f"There is no action {action[:40]!r}.") from None
    if chosen not in actions_for(kind):
        raise ActionRefused(f"“{ACTION_WORDS[chosen]}” does not apply to this item.")
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        raise ActionRefused(f"Keep the reason under {REASON_MAX} characters.", "reason")
    if chosen is Action.DISMISS and not reason:
        raise ActionRefused("Say why it can be dismissed: it goes on the order's timeline.", "reason")
    if chosen in (Action.MAP, Action.ROUTE_TO) and offer_id is None:
        raise ActionRefused("Choose an offer.", "offer")
    return Request(chosen, offer_id, reason)
