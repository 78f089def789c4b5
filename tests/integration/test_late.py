from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import AttentionItem, Shipment, SupplierOrder
from hub.services import outbox, placement  # noqa: F401
from hub.services.late import flag_late
from hub.services.routing import route
from hub.services.shipments import ShipmentIn, record_shipment
from tests import catalogue_builders as cb
from tests.fakes import FakeRegistry, FakeSupplierAccount
from tests.integration.test_routing import order_with


def test_unshipped_and_stalled_parcels_go_on_the_attention_list_once(hub: Hub) -> None:
    hub.connectors = FakeRegistry({"alpha": FakeSupplierAccount()})
    store_id = cb.store(hub.db)
    alpha = cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "A-MUG", "5.00"))
    first, second = (order_with(hub, store_id, ref, ("MUG", 1)) for ref in ("L1", "L2"))
    route(hub, first)
    route(hub, second)
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        refs = dict(session.execute(select(SupplierOrder.order_id, SupplierOrder.reference)).all())
    record_shipment(hub, "alpha", ShipmentIn(refs[second], "TRACK-2", "dhl"))
    now = utcnow()
    assert flag_late(hub, now) == {"late": 0, "stalled": 0, "new_items": 0}
    with hub.db.transaction() as session:
        session.execute(update(SupplierOrder).values(placed_at=now - timedelta(days=8)))
        session.execute(update(Shipment).values(last_event_at=now - timedelta(days=11)))
    assert flag_late(hub, now) == {"late": 1, "stalled": 1, "new_items": 2}
    assert flag_late(hub, now)["new_items"] == 0  # one open item per cause
    with hub.db.transaction() as session:
        kinds = sorted(session.execute(select(AttentionItem.kind, AttentionItem.order_id)).all())
    assert kinds == sorted([("late_shipment", first), ("stalled_shipment", second)])
