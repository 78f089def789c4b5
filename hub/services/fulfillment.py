"""Fulfillment out: a shipment becomes a store fulfillment with its tracking, exactly once.

The outbox retries on failure; before creating, the store's existing fulfillments of the order
are checked for this tracking number, so a crash after Shopify created the fulfillment (but before
we recorded it) never produces a second one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from connectors.http import ConnectorError, RemoteRejected
from hub.db.base import utcnow
from hub.db.models import OrderLine, Shipment, Store
from hub.domain.carriers import tracking_info
from hub.domain.storefront import FulfillmentLineRequest, Tracking
from hub.services import events
from hub.services import outbox_messages as messages
from hub.services.lifecycle import refresh_lifecycle
from hub.services.shipments import store_order_for
from hub.services.stores import credentials

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)


def fulfil(hub: Hub, payload: dict[str, Any]) -> messages.Outcome:
    shipment_id = int(payload["shipment_id"])
    with hub.db.transaction() as session:
        shipment = session.get(Shipment, shipment_id)
        if shipment is None:
            return messages.Done("shipment is gone")
        if shipment.remote_fulfillment_id:
            return messages.Done("already fulfilled")
        order = store_order_for(session, shipment.supplier_order_id)
        store = session.get(Store, order.store_id)
        assert store is not None
        if store.platform != "shopify":
            return messages.Done(f"{store.platform} orders are fulfilled by hand")
        line_ids = {int(item["order_line_id"]): int(item["quantity"]) for item in shipment.lines or []}
        external = dict(session.execute(select(OrderLine.id, OrderLine.external_id).where(
            OrderLine.id.in_(list(line_ids)))).all())
        wanted: dict[str, int] = defaultdict(int)
        for line_id, quantity in line_ids.items():
            wanted[external[line_id]] += quantity
        info = tracking_info(shipment.carrier, shipment.tracking_number, shipment.tracking_url)
        notify = bool((store.settings or {}).get("notify_customer", True))
        order_ref, order_id, store_id = order.external_id, order.id, store.id
    storefront = hub.connectors.storefront(credentials(hub, store_id))
    try:
        done = next((f for f in storefront.order_fulfillments(order_ref) if f.tracking.number == info.number), None)
        if done is None:
            requests = _lines(storefront.fulfillment_orders(order_ref), wanted)
            if requests is None:
                return messages.Retry("the store's fulfillment orders do not cover this shipment yet")
            done = storefront.create_fulfillment(requests, Tracking(info.number, info.company, info.url), notify)
    except RemoteRejected as exc:
        return messages.Failed(f"the store refused the fulfillment: {exc}")
    except ConnectorError as exc:
        return messages.Retry(str(exc))
    finally:
        storefront.close()
    now = utcnow()
    with hub.db.transaction() as session:
        session.execute(update(Shipment).where(Shipment.id == shipment_id)
                        .values(remote_fulfillment_id=done.fulfillment_id, fulfilled_at=now)
                        .execution_options(synchronize_session=False))
        text = f"Store fulfillment {done.fulfillment_id} with {info.company or ''} {info.number}"
        events.note(session, order_id=order_id, kind="fulfilled", occurred_at=now,
                    message=text + (" (customer notified)" if notify else ""),
                    data={"shipment_id": shipment_id, "fulfillment_id": done.fulfillment_id})
        refresh_lifecycle(session, [order_id])
    return messages.Done(done.fulfillment_id)


def _lines(fulfillment_orders: list[Any], wanted: dict[str, int]) -> list[FulfillmentLineRequest] | None:
    """Fulfillment-order lines covering each order line's quantity (open ones, remaining quantities)."""
    requests: list[FulfillmentLineRequest] = []
    left = dict(wanted)
    for fulfillment_order in fulfillment_orders:
        if fulfillment_order.status not in ("open", "in_progress", "scheduled"):
            continue
        for line in fulfillment_order.lines:
            need = left.get(line.line_item_id or "", 0)
            take = min(need, line.remaining_quantity)
            if take > 0:
                requests.append(FulfillmentLineRequest(fulfillment_order.fulfillment_order_id,
                                                       line.fulfillment_order_line_id, take))
                left[line.line_item_id or ""] = need - take
    return requests if requests and not any(left.values()) else None
