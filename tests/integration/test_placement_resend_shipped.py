"""A supplier order placed, the process killed before the answer was recorded, and the supplier
shipping meanwhile: the resend answers "already shipped, here are the parcels". The parcels must
still be recorded and fulfilled at the store (found by tests/e2e/test_sandbox_restart.py)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import httpx
from sqlalchemy import select, update

from connectors.registry import ConnectorRegistry
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from hub.bootstrap import Hub
from hub.db.models import Offer, OutboxMessage, Shipment, Store, Supplier, SupplierOrder
from hub.domain.orders import OrderLineIn
from hub.services import outbox
from hub.services.intake import ingest_orders
from hub.services.routing import route_pending
from hub.services.supplier_polling import poll_shipments
from tests.factories import make_order


def test_a_resend_answered_as_already_shipped_still_records_and_fulfils_the_parcels(hub: Hub) -> None:
    server = SandboxSupplierServer(SupplierSandboxConfig(products=2, ship_after=-1))
    hub.connectors = ConnectorRegistry(supplier_transports={"sbx": server.transport()})
    with hub.db.transaction() as session:
        store = Store(platform="shopify", name="s", shop_domain="s.myshopify.com", currency="USD", settings={})
        supplier = Supplier(code="sbx", name="Sandbox", kind="sandbox", currency="USD",
                            config={"base_url": "http://sbx.sandbox"})
        session.add_all([store, supplier])
        session.flush()
        session.add(Offer(supplier_id=supplier.id, supplier_sku="SBX-0001-1", cost=Decimal("5.00"),
                          shipping_cost=Decimal("1.00"), currency="USD", stock=100, countries=[]))
        store_id = store.id
    line = OrderLineIn(external_id="l1", sku="SBX-0001-1", title="x", quantity=2, unit_price=Decimal("20.00"))
    ingest_orders(hub.db, store_id, [replace(make_order("1"), lines=(line,))], "test")
    assert route_pending(hub) == {"routed": 1}
    with hub.db.transaction() as session:
        so = session.execute(select(SupplierOrder)).scalar_one()
        reference, key = so.reference, so.idempotency_key
        # The first attempt reached the supplier, then the process died: `placing`, tried once.
        session.execute(update(SupplierOrder).values(state="placing", place_attempts=1))
    body = {"reference": reference, "lines": [{"sku": "SBX-0001-1", "quantity": 2}], "ship_to": {}}
    with httpx.Client(transport=server.transport(), base_url="http://sbx.sandbox") as client:
        assert client.post("/orders", json=body, headers={"Idempotency-Key": key}).status_code == 201
        assert client.post("/_ship", json={"reference": reference}).json() == {"shipped": 1}

    outbox.dispatch(hub)  # the resend: "already there, and shipped"
    poll_shipments(hub)

    with hub.db.transaction() as session:
        parcels = session.execute(select(Shipment.tracking_number)).scalars().all()
        state = session.execute(select(SupplierOrder.state)).scalar_one()
        fulfil = session.execute(select(OutboxMessage.id).where(OutboxMessage.kind == "store.fulfill")).all()
    shipped = server.books.find(reference)
    assert shipped is not None and parcels == [p.tracking_number for p in shipped.parcels]
    assert state == "shipped" and len(fulfil) == 1
    assert server.stats()["orders_per_reference"] == {reference: 1}
