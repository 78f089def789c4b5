"""Suppliers push tracking with their key; purchase orders as CSV for suppliers without an API."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import OutboxMessage, Shipment, SupplierOrder
from hub.services import outbox, purchase_orders, suppliers
from hub.services.routing import route
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.integration.test_routing import order_with


def _setup(hub: Hub, tmp_path: Path) -> tuple[TestClient, str, dict[str, str]]:
    store_id = cb.store(hub.db)
    acme = cb.supplier(hub.db, "acme", kind="csv_po")
    other = cb.supplier(hub.db, "other", kind="csv_po")
    with hub.db.transaction() as session:
        for supplier_id in (acme, other):
            from hub.db.models import Supplier

            row = session.get(Supplier, supplier_id)
            assert row is not None
            row.config = {"folder": str(tmp_path / "po")}
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, acme, "A-MUG", "5.00"))
    cb.listing(hub.db, store_id, "CAP", "v-CAP", cb.offer(hub.db, acme, "A-CAP", "3.00"))
    route(hub, order_with(hub, store_id, "1", ("MUG", 2), ("CAP", 1)))
    outbox.dispatch(hub, kinds=["supplier.place"])
    with hub.db.transaction() as session:
        reference = session.execute(select(SupplierOrder.reference)).scalar_one()
    keys = {code: suppliers.create_key(hub.db, code)[1] for code in ("acme", "other")}
    return TestClient(create_app(hub)), reference, keys


def test_partial_then_full_shipment_with_scope_and_replays(sqlite_hub: Hub, tmp_path: Path) -> None:
    client, reference, keys = _setup(sqlite_hub, tmp_path)
    url = "/api/v1/suppliers/acme/shipments"
    part = {"reference": reference, "carrier": "yunexpress", "tracking_number": "YT1",
            "lines": [{"sku": "A-MUG", "quantity": 1}]}
    assert client.post(url, json=part).status_code == 401
    assert client.post(url, json=part, headers={"Authorization": f"Bearer {keys['other']}"}).status_code == 403
    assert client.post("/api/v1/suppliers/other/shipments", json=part,
                       headers={"Authorization": f"Bearer {keys['other']}"}).status_code == 403  # not its order
    mine = {"Authorization": f"Bearer {keys['acme']}"}
    first = client.post(url, json=part, headers=mine)
    assert first.status_code == 201 and first.json()["supplier_order_state"] == "accepted"
    assert client.post(url, json=part, headers=mine).status_code == 200  # a replay: nothing new
    too_many = {**part, "tracking_number": "YT2", "lines": [{"sku": "A-MUG", "quantity": 2}]}
    response = client.post(url, json=too_many, headers=mine)
    assert response.status_code == 422 and "more than was ordered" in response.json()["error"]["message"]
    unknown = client.post(url, json={**part, "reference": "H999-S1-1"}, headers=mine)
    assert unknown.status_code == 404
    rest = client.post(url, json={"reference": reference, "carrier": "dhl", "tracking_number": "DH9"}, headers=mine)
    assert rest.status_code == 201 and rest.json()["supplier_order_state"] == "shipped"
    with sqlite_hub.db.transaction() as session:
        lines = {n: sorted(line["quantity"] for line in ls) for n, ls in session.execute(
            select(Shipment.tracking_number, Shipment.lines)).all()}
        fulfil = session.execute(select(OutboxMessage.kind).where(OutboxMessage.kind == "store.fulfill")).all()
    assert lines == {"YT1": [1], "DH9": [1, 1]}
    assert len(fulfil) == 2


def test_purchase_orders_are_written_once_and_served_to_their_supplier(sqlite_hub: Hub, tmp_path: Path) -> None:
    client, reference, keys = _setup(sqlite_hub, tmp_path)
    assert purchase_orders.write_batches(sqlite_hub) == {"batches": 1}
    assert purchase_orders.write_batches(sqlite_hub) == {"batches": 0}  # nothing new: no empty file
    batches = client.get("/api/v1/suppliers/acme/purchase-orders", headers=AUTH).json()["batches"]
    assert len(batches) == 1
    csv_url = f"/api/v1/suppliers/acme/purchase-orders/{batches[0]}.csv"
    body = client.get(csv_url, headers={"Authorization": f"Bearer {keys['acme']}"})
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
    assert reference in body.text and "A-MUG" in body.text and "CAP" in body.text
    assert client.get(csv_url, headers={"Authorization": f"Bearer {keys['other']}"}).status_code == 403
    assert client.get("/api/v1/suppliers/acme/purchase-orders/..%2Fx.csv", headers=AUTH).status_code == 404
