"""The ledger follows intake by a keyset cursor: every order once, however many share a timestamp."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import LedgerEntry
from hub.services.intake import ingest_orders
from hub.services.ledger import record_changed_orders
from tests import catalogue_builders as cb
from tests.factories import make_order, touched


def test_every_changed_order_is_booked_once(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    orders = [make_order(str(i), lines=1, price="10.00") for i in range(600)]
    ingest_orders(hub.db, store_id, orders, "pull")  # one transaction: 600 orders, one updated_at
    assert record_changed_orders(hub.db, store_id, batch=250)["orders"] == 600
    assert record_changed_orders(hub.db, store_id, batch=250)["orders"] == 0
    with hub.db.transaction() as session:
        sales = session.execute(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.kind == "sale")).scalar_one()
        shipping = session.execute(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.kind == "shipping")).scalar_one()
    assert sales == Decimal("6000.00") and shipping == 600
    ingest_orders(hub.db, store_id, [touched(orders[7], 5, total_shipping=Decimal("9.90"))], "webhook")
    assert record_changed_orders(hub.db, store_id)["orders"] == 1
    with hub.db.transaction() as session:
        shipped = session.execute(select(func.sum(LedgerEntry.amount)).where(LedgerEntry.kind == "shipping")
                                  ).scalar_one()
    assert shipped == Decimal("4.90") * 599 + Decimal("9.90")
