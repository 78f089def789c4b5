"""Acting on attention items (SQLite and PostgreSQL): after each action the order moves on at once
(routed, placed through the outbox), the item closes because its cause is gone, and nothing
doubles — not with a second click, not with two admins at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import AttentionItem, Listing, Mapping, Order, OrderEvent, OrderLine, OutboxMessage, SupplierOrder
from hub.errors import Conflict
from hub.services import (  # noqa: F401  (placement: its handler)
    attention,
    attention_view,
    cancellation,
    late,
    outbox,
    placement,
)
from hub.services.attention_actions import ActionError, act
from hub.services.routing import route, route_pending
from tests import catalogue_builders as cb
from tests.fakes import FakeRegistry, FakeSupplierAccount
from tests.integration.test_routing import order_with


@pytest.fixture
def accounts(hub: Hub) -> dict[str, FakeSupplierAccount]:
    found = {"alpha": FakeSupplierAccount(), "beta": FakeSupplierAccount()}
    hub.connectors = FakeRegistry(found)
    return found


def _open(hub: Hub, kind: str) -> list[AttentionItem]:
    with hub.db.read() as session:
        return list(session.execute(select(AttentionItem).where(AttentionItem.kind == kind,
                                                                AttentionItem.resolved_at.is_(None))).scalars())


def _item(hub: Hub, item_id: int) -> AttentionItem:
    with hub.db.read() as session:
        found = session.get(AttentionItem, item_id)
        assert found is not None
        return found


def _supplier_orders(hub: Hub, order_id: int) -> list[tuple[str, str]]:
    with hub.db.read() as session:
        return [(so.reference, so.state) for so in session.execute(
            select(SupplierOrder).where(SupplierOrder.order_id == order_id).order_by(SupplierOrder.id)).scalars()]


def _timeline(hub: Hub, order_id: int) -> list[str]:
    with hub.db.read() as session:
        return [f"{e.kind}: {e.message}" for e in session.execute(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)).scalars()]


def _status(hub: Hub, order_id: int) -> str:
    with hub.db.read() as session:
        return str(session.execute(select(Order.status).where(Order.id == order_id)).scalar_one())


def _place_messages(hub: Hub) -> int:
    with hub.db.read() as session:
        return int(session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "supplier.place")).scalar_one())


def test_map_the_sku_routes_and_places_the_line_and_closes_the_item(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "MUG", "v-MUG")  # listed, mapped to nothing
    cb.offer(hub.db, alpha, "A-MUG", "6.00")
    cb.offer(hub.db, alpha, "A-CAP", "3.00")
    order_id = order_with(hub, store_id, "1", ("MUG", 1), ("CAP", 2))  # CAP: not even a listing
    assert route(hub, order_id).status == "attention"  # type: ignore[union-attr]
    mug, cap = sorted(_open(hub, "no_mapping"), key=lambda i: i.id)
    another = order_with(hub, store_id, "1b", ("MUG", 1))  # waits for the same product
    route(hub, another)

    with pytest.raises(ActionError) as refused:
        act(hub, mug.id, "map", offer="alpha:NOPE")
    assert refused.value.field == "offer"
    done = act(hub, mug.id, "map", offer="alpha:A-MUG")
    assert done.closed and done.message.startswith("Routed to alpha as H")
    assert "1 other order(s) waiting for this product were routed too" in done.message
    assert _status(hub, another) == "routed"
    assert _status(hub, order_id) == "partially_routed"
    with pytest.raises(Conflict):  # a second click
        act(hub, mug.id, "map", offer="alpha:A-MUG")
    outbox.dispatch(hub)
    assert [state for _, state in _supplier_orders(hub, order_id)] == ["accepted"]
    assert [state for _, state in _supplier_orders(hub, another)] == ["accepted"]

    with hub.db.read() as session:  # only the MUG is mapped so far
        assert session.execute(select(Listing.sku).join(Mapping, Mapping.listing_id == Listing.id)).scalars().all() \
            == ["MUG"]
    done = act(hub, cap.id, "map", offer="alpha:A-CAP")  # the line had no listing: one is made from it
    assert done.closed and _status(hub, order_id) == "routed"
    outbox.dispatch(hub)
    assert [state for _, state in _supplier_orders(hub, order_id)] == ["accepted", "accepted"]
    assert accounts["alpha"].created == 3 and _open(hub, "no_mapping") == []
    timeline = _timeline(hub, order_id)
    assert "attention_action: MUG mapped to alpha:A-MUG (the admin)" in timeline
    assert sum(e.startswith("attention_resolved") for e in timeline) == 2


def test_another_offer_for_a_line_out_of_stock_or_not_shipped_to_its_country(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha, beta = cb.store(hub.db), cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00", stock=0))
    cb.listing(hub.db, store_id, "CAP", "v-CAP", cb.offer(hub.db, alpha, "CAP", "3.00", countries=["DE"]))
    beta_mug = cb.offer(hub.db, beta, "MUG", "7.00", stock=3)
    cb.offer(hub.db, beta, "CAP", "4.00")
    order_id = order_with(hub, store_id, "2", ("MUG", 1), ("CAP", 1))
    route_pending(hub)
    [stock], [country] = _open(hub, "out_of_stock"), _open(hub, "country_not_served")

    offers = attention_view.offers_for(hub, stock.id)
    assert [(o.supplier, o.available, o.usable) for o in offers] == [("beta", 3, True), ("alpha", 0, False)]
    assert act(hub, stock.id, "route_to", offer=str(beta_mug)).closed
    assert act(hub, country.id, "route_to", offer="beta:CAP").closed  # named as SUPPLIER:SKU
    assert _status(hub, order_id) == "routed"
    outbox.dispatch(hub)
    assert accounts["beta"].created == 2 and accounts["alpha"].created == 0  # one supplier order each line
    assert [state for _, state in _supplier_orders(hub, order_id)] == ["accepted", "accepted"]


def test_place_once_over_the_cost_rule_only_for_that_line(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha = cb.store(hub.db, max_unit_cost="5.00"), cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "LAMP", "v-LAMP", cb.offer(hub.db, alpha, "LAMP", "10.00"))
    first = order_with(hub, store_id, "3", ("LAMP", 1))
    route_pending(hub)
    [item] = _open(hub, "over_max_cost")
    done = act(hub, item.id, "place_once", reason="a loyal customer")
    assert done.closed and _status(hub, first) == "routed"
    assert "attention_action: Place once over the cost rules (the admin) — a loyal customer" in _timeline(hub, first)
    outbox.dispatch(hub)
    assert accounts["alpha"].created == 1

    second = order_with(hub, store_id, "4", ("LAMP", 1))  # the rule still holds for the next order
    route_pending(hub)
    assert _status(hub, second) == "attention" and len(_open(hub, "over_max_cost")) == 1


def test_a_refused_supplier_order_retried_or_sent_to_another_supplier(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha, beta = cb.store(hub.db), cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00"))
    beta_mug = cb.offer(hub.db, beta, "MUG", "7.00")
    accounts["alpha"].reject_all = "address not served"
    one, two = order_with(hub, store_id, "5", ("MUG", 1)), order_with(hub, store_id, "6", ("MUG", 1))
    route_pending(hub)
    outbox.dispatch(hub)  # both refused; their lines wait for routing again, without alpha
    route_pending(hub)
    refused = {i.order_id: i for i in _open(hub, "supplier_rejected")}
    assert set(refused) == {one, two}

    accounts["alpha"].reject_all = None  # the supplier fixed it: try it again
    retried = act(hub, refused[one].id, "retry")
    assert retried.closed and "Routed to alpha" in retried.message
    assert [o.supplier for o in attention_view.offers_for(hub, refused[two].id)] == ["beta"]
    moved = act(hub, refused[two].id, "route_to", offer=str(beta_mug))
    assert moved.closed and "Routed to beta" in moved.message
    outbox.dispatch(hub)
    assert [s for _, s in _supplier_orders(hub, one)] == ["failed", "accepted"]
    assert [s for _, s in _supplier_orders(hub, two)] == ["failed", "accepted"]
    assert accounts["alpha"].created == 1 and accounts["beta"].created == 1
    assert _open(hub, "no_mapping") == []  # the lines' own items closed with them


def test_a_price_approved_or_kept_from_the_list(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    with hub.db.transaction() as session:
        attention.record(session, [
            attention.Cause(f"price:{n}:12.00", "price_approval", f"listing {n}: 9.00 → 12.00", store_id=store_id,
                            details={"listing_id": n, "price": "12.00"}) for n in (1, 2)])
    one, two = sorted(_open(hub, "price_approval"), key=lambda i: i.id)
    approved = act(hub, one.id, "approve")
    assert approved.closed and approved.message == "Approved: the price goes to the store now."
    assert _item(hub, one.id).details["approved"] is True
    with pytest.raises(Conflict):
        act(hub, one.id, "approve")
    kept = act(hub, two.id, "reject")
    assert kept.closed and _item(hub, two.id).details["rejected"] is True
    with hub.db.read() as session:  # one push of the store's prices, through the outbox
        assert session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "store.push_prices")).scalar_one() == 1


def test_a_late_shipment_noted_then_cancelled_and_rerouted(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha, beta = cb.store(hub.db), cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00"),
               cb.offer(hub.db, beta, "MUG", "7.00"))
    order_id = order_with(hub, store_id, "7", ("MUG", 1))
    route_pending(hub)
    outbox.dispatch(hub)
    with hub.db.transaction() as session:
        session.execute(update(SupplierOrder).values(placed_at=utcnow() - timedelta(days=30)))
    late.flag_late(hub)
    [item] = _open(hub, "late_shipment")

    noted = act(hub, item.id, "contacted", reason="they ship Monday")
    assert not noted.closed and "comes back on" in noted.message
    active, snoozed = attention_view.entries(hub)
    assert [e.id for e in snoozed] == [item.id] and item.id not in [e.id for e in active]
    assert any("Supplier contacted" in e and "they ship Monday" in e for e in _timeline(hub, order_id))
    late.flag_late(hub)  # still late: the same item, no second one
    assert len(_open(hub, "late_shipment")) == 1

    asked = act(hub, item.id, "cancel_reroute")
    assert not asked.closed
    act(hub, item.id, "cancel_reroute")  # a second click asks nothing more
    with hub.db.read() as session:
        assert session.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "supplier.cancel")).scalar_one() == 1
    outbox.dispatch(hub)  # alpha confirms the cancel: the line waits for routing, without alpha
    assert _item(hub, item.id).resolved_at is not None
    route_pending(hub)
    outbox.dispatch(hub)
    assert [s for _, s in _supplier_orders(hub, order_id)] == ["cancelled", "accepted"]
    assert accounts["beta"].created == 1


def test_dismiss_needs_a_reason_and_says_who_and_why_on_the_timeline(hub: Hub) -> None:
    store_id = cb.store(hub.db)
    order_id = order_with(hub, store_id, "8", ("GIFT", 1))
    route_pending(hub)
    [item] = _open(hub, "no_mapping")
    with pytest.raises(ActionError) as refused:
        act(hub, item.id, "dismiss", reason="  ")
    assert refused.value.field == "reason"
    with pytest.raises(ActionError):
        act(hub, item.id, "approve")  # not an action of this kind
    assert act(hub, item.id, "dismiss", reason="gift card, nothing to ship").closed
    assert any("dismissed by the admin: gift card, nothing to ship" in e for e in _timeline(hub, order_id))
    with pytest.raises(Conflict):
        act(hub, item.id, "dismiss", reason="again")


@pytest.mark.parametrize("action", ["map", "route_to", "place_once"])
def test_two_admins_at_once_never_double_route_or_place(hub: Hub, accounts, action: str) -> None:  # type: ignore[no-untyped-def]
    store_id = cb.store(hub.db, max_unit_cost="5.00" if action == "place_once" else None)
    alpha, beta = cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    kind = {"map": "no_mapping", "route_to": "out_of_stock", "place_once": "over_max_cost"}[action]
    offer = ""
    if action == "map":
        cb.listing(hub.db, store_id, "MUG", "v-MUG")
        offer = "alpha:MUG"
        cb.offer(hub.db, alpha, "MUG", "6.00")
    elif action == "place_once":
        cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00"))
    else:
        cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00", stock=0))
        offer = str(cb.offer(hub.db, beta, "MUG", "7.00", stock=1))  # stock for one line only
    order_id = order_with(hub, store_id, "9", ("MUG", 1))
    route_pending(hub)
    [item] = _open(hub, kind)

    results: list[object] = []
    start = threading.Barrier(3)

    def click() -> None:
        start.wait()
        try:
            results.append(act(hub, item.id, action, offer=offer).closed)
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=click) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert True in results, results
    outbox.dispatch(hub)
    assert len(_supplier_orders(hub, order_id)) == 1 and _place_messages(hub) == 1
    assert accounts["alpha"].created + accounts["beta"].created == 1
    with hub.db.read() as session:
        assert session.execute(select(OrderLine.routing_status)).scalars().all() == ["routed"]
    assert _item(hub, item.id).resolved_at is not None
    assert _status(hub, order_id) == "routed"


def test_a_refusal_the_store_does_not_reroute_is_sent_elsewhere_by_hand(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id = cb.store(hub.db, reroute_on_failure=False)
    alpha, beta = cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00"))
    beta_mug = cb.offer(hub.db, beta, "MUG", "7.00")
    accounts["alpha"].reject_all = "no such street"
    order_id = order_with(hub, store_id, "10", ("MUG", 2))
    route_pending(hub)
    outbox.dispatch(hub)
    route_pending(hub)  # nothing to route: the store keeps its lines with the refused order
    assert _status(hub, order_id) == "routed"
    [item] = _open(hub, "supplier_rejected")
    assert act(hub, item.id, "route_to", offer=str(beta_mug)).closed
    outbox.dispatch(hub)
    assert [s for _, s in _supplier_orders(hub, order_id)] == ["failed", "accepted"]
    assert accounts["beta"].orders[f"H{order_id}-S{beta}-1"].lines[0].quantity == 2


def test_an_order_the_supplier_cancelled_is_retried_with_it(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00", stock=5))
    order_id = order_with(hub, store_id, "11", ("MUG", 1))
    route_pending(hub)
    outbox.dispatch(hub)
    [(reference, _)] = _supplier_orders(hub, order_id)
    assert cancellation.cancelled_by_supplier(hub, reference)
    route_pending(hub)  # no other supplier: the line waits
    [item] = _open(hub, "supplier_cancelled")
    done = act(hub, item.id, "retry", reason="they found more stock")
    assert done.closed and f"Routed to alpha as H{order_id}-S{alpha}-2" in done.message
    outbox.dispatch(hub)
    assert [s for _, s in _supplier_orders(hub, order_id)] == ["cancelled", "accepted"]
    assert accounts["alpha"].created == 2 and _open(hub, "no_mapping") == []


def test_an_action_under_way_holds_the_item_until_it_settles_or_its_claim_lapses(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    cb.listing(hub.db, store_id, "MUG", "v-MUG")
    cb.offer(hub.db, alpha, "MUG", "6.00")
    order_with(hub, store_id, "12", ("MUG", 1))
    route_pending(hub)
    [item] = _open(hub, "no_mapping")

    def claimed(ago: timedelta) -> None:
        with hub.db.transaction() as session:
            row = session.get(AttentionItem, item.id)
            assert row is not None
            row.details = {**row.details, "claimed_at": (utcnow() - ago).isoformat()}

    claimed(timedelta(seconds=5))  # another admin's map is routing right now
    with pytest.raises(Conflict, match="under way"):
        act(hub, item.id, "dismiss", reason="duplicate")
    claimed(timedelta(minutes=5))  # its process died: the claim lapsed
    assert act(hub, item.id, "map", offer="alpha:MUG").closed
    assert "claimed_at" not in _item(hub, item.id).details


def test_a_refusal_already_rerouted_closes_without_routing_again(hub: Hub, accounts) -> None:  # type: ignore[no-untyped-def]
    store_id, alpha, beta = cb.store(hub.db), cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    cb.listing(hub.db, store_id, "MUG", "v-MUG", cb.offer(hub.db, alpha, "MUG", "6.00"),
               cb.offer(hub.db, beta, "MUG", "7.00"))
    accounts["alpha"].reject_all = "closed for the holidays"
    order_id = order_with(hub, store_id, "13", ("MUG", 1))
    route_pending(hub)
    outbox.dispatch(hub)
    route_pending(hub)  # the store reroutes: beta takes it
    outbox.dispatch(hub)
    [item] = _open(hub, "supplier_rejected")
    done = act(hub, item.id, "retry")
    assert done.closed and f"Routed to beta as H{order_id}-S{beta}-1" in done.message
    outbox.dispatch(hub)
    assert [s for _, s in _supplier_orders(hub, order_id)] == ["failed", "accepted"]
    assert accounts["beta"].created == 1 and accounts["alpha"].calls == 1
