"""The supplier portal's use cases: who a portal session is, and what that supplier may see and do.

Everything here takes the supplier's id from the session, never from the request, and every
lookup of a row named in a URL or form is filtered by it: another supplier's order or feed run
is "not found" (never "forbidden"), so ids cannot be probed. A session is scoped like the key
it was opened with: the key must still be unrevoked on every request, and its scopes decide the
rights (see `RIGHTS`). What the portal shows of an order is what a supplier needs to ship it —
its lines and the ship-to address — and nothing of the store's money (prices, totals, profit).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import Order, OrderLine, Shipment, Supplier, SupplierKey, SupplierOrder, SupplierOrderLine
from hub.domain.supplier_orders import State
from hub.errors import NotFound, UserError
from hub.services.scorecards import Scorecard, scorecards
from hub.services.shipments import ShipmentIn, WrongSupplier, record_shipment
from hub.services.suppliers import authenticate_key

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

ORDERS, TRACKING, FEEDS, SCORECARD = "orders", "tracking", "feeds", "scorecard"
# Key scope → what a portal session opened with that key may do. Every key issued so far has the
# scope "feed", and the supplier API lets such a key push feeds and tracking and read its runs and
# purchase orders: the portal grants it the same, no more. Narrower scopes read less.
RIGHTS: dict[str, frozenset[str]] = {
    "feed": frozenset({ORDERS, TRACKING, FEEDS, SCORECARD}),
    "tracking": frozenset({ORDERS, TRACKING, SCORECARD}),
    "orders": frozenset({ORDERS, SCORECARD}),
}
OPEN_STATES = (State.PLACING.value, State.ACCEPTED.value)  # handed to the supplier, not fully shipped
DONE_STATES = (State.SHIPPED.value, State.DELIVERED.value)
STATE_WORDS = {"placing": "Being sent to you", "accepted": "To ship", "shipped": "Shipped", "delivered": "Delivered"}
ADDRESS_FIELDS = ("name", "company", "address1", "address2", "city", "province_code", "zip", "country_code", "phone")


@dataclass(frozen=True)
class PortalOwner:
    """The supplier and key behind a portal session, re-read on every request."""

    key_id: int
    supplier_id: int
    supplier_code: str
    supplier_name: str
    rights: frozenset[str]

    def may(self, right: str) -> bool:
        return right in self.rights


def rights_of(scopes: list[Any] | None) -> frozenset[str]:
    granted: set[str] = set()
    for scope in scopes or []:
        granted |= RIGHTS.get(str(scope), frozenset())
    return frozenset(granted)


def session_owner(db: Database, supplier_id: int, key_id: int) -> PortalOwner | None:
    """The owner of a session when its key still exists, belongs to that supplier and is not revoked."""
    with db.read() as session:
        row = session.execute(
            select(SupplierKey.scopes, SupplierKey.revoked_at, Supplier.code, Supplier.name)
            .join(Supplier, Supplier.id == SupplierKey.supplier_id)
            .where(SupplierKey.id == key_id, SupplierKey.supplier_id == supplier_id)).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return PortalOwner(key_id, supplier_id, row.code, row.name, rights_of(row.scopes))


def sign_in(db: Database, key: str) -> PortalOwner | None:
    """The owner of a valid key (its use recorded, as the API does), or None."""
    owner = authenticate_key(db, key.strip()) if key.strip() else None
    return session_owner(db, owner.supplier_id, owner.key_id) if owner is not None else None


@dataclass
class PortalLine:
    sku: str
    title: str
    quantity: int
    shipped: int = 0

    @property
    def left(self) -> int:
        return max(0, self.quantity - self.shipped)


@dataclass
class PortalParcel:
    carrier: str | None
    tracking_number: str
    tracking_url: str | None
    shipped_at: datetime
    store_updated: bool


@dataclass
class PortalOrder:
    """A supplier order as its supplier sees it: what to ship and where."""

    id: int
    reference: str
    state: str
    created_at: datetime
    ship_to: list[str]
    country: str | None
    lines: list[PortalLine] = field(default_factory=list)
    parcels: list[PortalParcel] = field(default_factory=list)

    @property
    def state_words(self) -> str:
        return STATE_WORDS.get(self.state, self.state)

    @property
    def can_ship(self) -> bool:
        return self.state in OPEN_STATES


def _ship_to(address: dict[str, Any] | None) -> list[str]:
    """The address as the lines of a parcel label (name, street, city and zip, country, phone)."""
    a = {k: str(v).strip() for k, v in (address or {}).items() if k in ADDRESS_FIELDS and v}
    city = " ".join(x for x in (a.get("zip"), a.get("city"), a.get("province_code")) if x)
    parts = [a.get("name"), a.get("company"), a.get("address1"), a.get("address2"), city, a.get("country_code"),
             f"Phone {a['phone']}" if a.get("phone") else None]
    return [p for p in parts if p]


def orders_of(db: Database, supplier_id: int, *, states: tuple[str, ...] = OPEN_STATES, limit: int = 200,
              order_id: int | None = None) -> list[PortalOrder]:
    """This supplier's orders in `states` (oldest first: ship those first), with lines and parcels."""
    with db.read() as session:
        query = (select(SupplierOrder.id, SupplierOrder.reference, SupplierOrder.state, SupplierOrder.created_at,
                        Order.shipping_address)
                 .join(Order, Order.id == SupplierOrder.order_id)
                 .where(SupplierOrder.supplier_id == supplier_id, SupplierOrder.state.in_(states)))
        if order_id is not None:
            query = query.where(SupplierOrder.id == order_id)
        ascending = states == OPEN_STATES
        query = query.order_by(SupplierOrder.id if ascending else SupplierOrder.id.desc()).limit(limit)
        orders = {row.id: PortalOrder(row.id, row.reference, row.state, row.created_at, _ship_to(row.shipping_address),
                                      (row.shipping_address or {}).get("country_code"))
                  for row in session.execute(query)}
        if not orders:
            return []
        ids = list(orders)
        lines: dict[int, PortalLine] = {}
        for line_id, so_id, sku, title, quantity in session.execute(
                select(SupplierOrderLine.id, SupplierOrderLine.supplier_order_id, SupplierOrderLine.supplier_sku,
                       OrderLine.title, SupplierOrderLine.quantity)
                .join(OrderLine, OrderLine.id == SupplierOrderLine.order_line_id)
                .where(SupplierOrderLine.supplier_order_id.in_(ids)).order_by(SupplierOrderLine.id)):
            lines[line_id] = PortalLine(sku, title, quantity)
            orders[so_id].lines.append(lines[line_id])
        shipped: dict[int, int] = defaultdict(int)
        for parcel in session.execute(select(Shipment).where(Shipment.supplier_order_id.in_(ids))
                                      .order_by(Shipment.id)).scalars():
            orders[parcel.supplier_order_id].parcels.append(PortalParcel(
                parcel.carrier, parcel.tracking_number, parcel.tracking_url, parcel.shipped_at,
                parcel.remote_fulfillment_id is not None))
            for item in parcel.lines or []:
                shipped[int(item["supplier_order_line_id"])] += int(item["quantity"])
        for line_id, line in lines.items():
            line.shipped = shipped.get(line_id, 0)
    return list(orders.values())


def open_order(db: Database, supplier_id: int, supplier_order_id: int) -> PortalOrder:
    """One open order of this supplier; NotFound for any other id (another supplier's included)."""
    found = orders_of(db, supplier_id, order_id=supplier_order_id, limit=1)
    if not found:
        raise NotFound(f"no open order {supplier_order_id} of yours")
    return found[0]


def submit_tracking(hub: Hub, owner: PortalOwner, supplier_order_id: int, *, carrier: str, number: str,
                    url: str | None) -> bool:
    """Record a parcel for one of the supplier's open orders, as the shipments API does (True: new).

    The store fulfillment follows through the outbox (hub.services.shipments → fulfillment).
    """
    order = open_order(hub.db, owner.supplier_id, supplier_order_id)
    result = record_shipment(hub, owner.supplier_code, ShipmentIn(order.reference, number, carrier or None,
                                                                  url or None))
    logger.info("tracking submitted in the portal", extra={"supplier": owner.supplier_code, "key_id": owner.key_id,
                                                           "supplier_order_id": supplier_order_id,
                                                           "new_parcel": result.created})
    return result.created


@dataclass
class TrackingImport:
    created: int = 0
    already_known: int = 0
    rejects: list[tuple[int, str]] = field(default_factory=list)


def import_tracking(hub: Hub, owner: PortalOwner, content: bytes) -> TrackingImport:
    """Tracking from a CSV (reference, tracking_number, carrier, tracking_url, sku, quantity), as
    `hub shipments import` reads it; another supplier's reference is rejected as unknown."""
    parsed = hub.connectors.parse_shipment_file(content)
    result = TrackingImport(rejects=[(r.line, r.reason) for r in parsed.rejects])
    for reference, parcel in parsed.shipments:
        try:
            recorded = record_shipment(hub, owner.supplier_code, ShipmentIn(
                reference, parcel.tracking_number, parcel.carrier, parcel.tracking_url, parcel.lines,
                parcel.shipped_at))
        except WrongSupplier:
            result.rejects.append((0, f"{reference}: no supplier order with reference {reference!r}"))
            continue
        except UserError as exc:
            result.rejects.append((0, f"{reference}: {exc}"))
            continue
        result.created += int(recorded.created)
        result.already_known += int(not recorded.created)
    result.rejects.sort()
    logger.info("tracking file imported in the portal", extra={
        "supplier": owner.supplier_code, "key_id": owner.key_id, "new_parcels": result.created,
        "rejected": len(result.rejects)})
    return result


SCORECARD_PERIODS = (7, 30, 90)  # days the portal offers (the admin pages choose any period)


def scorecard(db: Database, supplier_id: int, days: int, now: datetime | None = None) -> Scorecard:
    """This supplier's scorecard over the last `days` days (hub.services.scorecards' definitions)."""
    until = now or utcnow()
    with db.read() as session:
        cards = scorecards(session, until - timedelta(days=days), until, supplier_id, now=until)
    if not cards:
        raise NotFound("no such supplier")
    return cards[0]
