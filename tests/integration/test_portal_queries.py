"""The supplier portal's queries on SQLite and PostgreSQL: a supplier's own orders with what to ship
and where, nothing of another supplier's, tracking through the shipments service, key re-checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.bootstrap import Hub
from hub.db.models import OutboxMessage, SupplierKey
from hub.errors import NotFound
from hub.services import portal, suppliers
from tests.api.test_supplier_portal import _world


def test_orders_parcels_and_scope(hub: Hub, tmp_path: Path) -> None:
    world = _world(hub, tmp_path)
    ids, orders, keys = world["ids"], world["orders"], world["keys"]
    assert isinstance(ids, dict) and isinstance(orders, dict) and isinstance(keys, dict)
    acme = portal.sign_in(hub.db, keys["acme"])
    assert acme is not None and acme.supplier_id == ids["acme"] and acme.may(portal.TRACKING)
    assert portal.sign_in(hub.db, "hub_sk_nothing") is None and portal.sign_in(hub.db, "  ") is None

    (mine,) = portal.orders_of(hub.db, ids["acme"])
    assert (mine.id, mine.reference, mine.state, mine.can_ship) == (orders["acme"].id, orders["acme"].reference,
                                                                    "accepted", True)
    assert [(line.sku, line.title, line.quantity, line.left) for line in mine.lines] == [("A-MUG", "MUG", 2, 2)]
    assert mine.country == "US" and "US" in mine.ship_to and len(mine.ship_to) >= 3  # name, street, city, country
    with pytest.raises(NotFound):
        portal.open_order(hub.db, ids["acme"], orders["other"].id)

    assert portal.submit_tracking(hub, acme, orders["acme"].id, carrier="dhl", number="DH1", url="") is True
    assert portal.orders_of(hub.db, ids["acme"]) == []
    (done,) = portal.orders_of(hub.db, ids["acme"], states=portal.DONE_STATES)
    assert [(p.carrier, p.tracking_number, p.store_updated) for p in done.parcels] == [("dhl", "DH1", False)]
    assert [line.left for line in done.lines] == [0]
    with pytest.raises(NotFound):  # shipped: no longer open, so no second form post
        portal.submit_tracking(hub, acme, orders["acme"].id, carrier="dhl", number="DH2", url="")
    with hub.db.transaction() as session:
        fulfil = session.execute(select(OutboxMessage.idempotency_key)
                                 .where(OutboxMessage.kind == "store.fulfill")).scalars().all()
    assert len(fulfil) == 1  # the store fulfillment follows through the outbox

    theirs = portal.import_tracking(hub, acme, f"reference,tracking_number\n{orders['other'].reference},Z1\n"
                                               "H9-S9-9,Z2\n".encode())
    assert theirs.created == 0 and [reason.split(": ", 1)[1] for _line, reason in theirs.rejects] == [
        f"no supplier order with reference {ref!r}" for ref in sorted([orders["other"].reference, "H9-S9-9"])]

    card = portal.scorecard(hub.db, ids["acme"], 30)
    assert (card.sent, card.accepted, card.shipped) == (1, 1, 1)


def test_a_session_owner_is_its_key_unrevoked(hub: Hub, tmp_path: Path) -> None:
    world = _world(hub, tmp_path)
    ids, keys = world["ids"], world["keys"]
    assert isinstance(ids, dict) and isinstance(keys, dict)
    acme = portal.sign_in(hub.db, keys["acme"])
    assert acme is not None
    assert portal.session_owner(hub.db, ids["other"], acme.key_id) is None  # the key is not other's
    with hub.db.transaction() as session:
        session.execute(update(SupplierKey).where(SupplierKey.id == acme.key_id).values(scopes=["tracking"]))
    narrowed = portal.session_owner(hub.db, ids["acme"], acme.key_id)
    assert narrowed is not None and narrowed.may(portal.TRACKING) and not narrowed.may(portal.FEEDS)
    suppliers.revoke_key(hub.db, acme.key_id)
    assert portal.session_owner(hub.db, ids["acme"], acme.key_id) is None
