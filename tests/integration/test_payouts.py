"""Payouts against the orders they pay out (both backends): a sandbox shop's payouts match to the
cent; a payout with a refund the hub never saw, a higher fee and a reserve says so in words; a paid
order in no payout after the wait is listed as expected, not received."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from connectors.shopify.sandbox import SandboxShopify
from hub.bootstrap import Hub
from hub.domain.money import Money
from hub.domain.storefront import BalanceTransaction
from hub.domain.storefront import Payout as RemotePayout
from hub.services import payments, pull
from hub.services import payouts as payout_service
from hub.services.ledger import record_transactions
from tests import catalogue_builders as cb
from tests.factories import T0
from tests.integration.money_helpers import D, known_order, txn


def bt(tid: str, kind: str, amount: str, fee: str = "0", order: str | None = None,
       source: str | None = None) -> BalanceTransaction:
    a, f = D(amount), D(fee)
    return BalanceTransaction(transaction_id=tid, type=kind, amount=Money(a, "USD"), fee=Money(f, "USD"),
                              net=Money(a - f, "USD"), transaction_date=T0, order_id=order,
                              source_order_transaction_id=source)


def test_sandbox_payouts_match_their_orders_to_the_cent(connected: tuple[Hub, int],
                                                       sandbox: SandboxShopify) -> None:
    hub, store_id = connected
    hub.settings.payments_lookback_days = 3650
    first, second = sandbox.data.orders[0], sandbox.data.orders[1]
    sandbox.refund_order(first, items=[(first.lines[0], 1)])  # a partial refund, paid out later
    sandbox.refund_order(second, items=[(line, line.quantity) for line in second.lines], shipping=True)
    sandbox.settle_payouts()
    pull.pull_orders(hub, store_id)
    payments.pull_payments(hub, store_id)
    views = payout_service.list_payouts(hub.db)
    assert views and all(v.transactions for v in views)
    assert [v.as_dict()["difference"] for v in views] == ["0.00"] * len(views)
    assert all(v.check.expected == v.check.received and v.check.differences == () for v in views)
    assert sum(v.check.received for v in views) > 0
    groups = {p.group for v in views for p in v.parts}
    assert groups >= {"charge", "refund"}, groups  # refunds too are set against the hub's


def test_a_payout_with_a_missing_refund_a_higher_fee_and_a_reserve_is_explained(hub: Hub) -> None:
    store = cb.store(hub.db)
    first, second = known_order(hub, store, "1"), known_order(hub, store, "2")
    with hub.db.transaction() as session:
        record_transactions(session, first, [txn("t1", "sale", "53.00", fee="1.75")])
        record_transactions(session, second, [txn("t2", "sale", "53.00", fee="1.75")])
        payments.store_payout(session, store, RemotePayout("p1", "paid", T0, Money(D("94.20"), "USD")), [
            bt("b1", "charge", "53.00", "1.75", order="1", source="t1"),
            bt("b2", "charge", "53.00", "2.05", order="2", source="t2"),  # 0.30 more fee than recorded
            bt("b3", "refund", "-8.00", order="2", source="t3"),  # a refund the hub never booked
        ])
        payments.store_payout(session, store, RemotePayout("p2", "paid", T0, Money(D("-25.00"), "USD")), [
            bt("b4", "reserve", "-25.00")])
    views = {v.external_id: v for v in payout_service.list_payouts(hub.db)}
    one = views["p1"].as_dict(detail=True)
    # 53.00 collected per order (49.90 revenue + 3.10 tax) less 1.75 recorded fee each
    assert (one["expected"], one["received"], one["difference"]) == ("102.50", "94.20", "-8.30")
    assert one["explained"] == ["fee 0.30 higher than recorded", "1 refund not in the hub (-8.00)"]
    assert {(d["order_id"], d["words"]) for d in one["differences"]} == {
        (second, "fee for order #2 0.30 higher than recorded"),
        (second, "refund of 8.00 for order #2 not in the hub")}
    assert views["p2"].as_dict()["explained"] == ["1 reserve (-25.00)"]
    detail = payout_service.get_payout(hub.db, views["p1"].id).as_dict(detail=True)
    assert detail == one


def test_a_paid_order_in_no_payout_is_expected_but_not_received(hub: Hub) -> None:
    store = cb.store(hub.db)
    paid_out = known_order(hub, store, "1")
    waiting = known_order(hub, store, "2", placed=T0 + timedelta(hours=1))
    with hub.db.transaction() as session:
        payments.store_payout(session, store, RemotePayout("p1", "paid", T0, Money(D("50.00"), "USD")),
                              [bt("b1", "charge", "50.00", order="1")])
    later = T0 + timedelta(days=10)
    unpaid = payout_service.unpaid_orders(hub.db, wait_days=7, now=later)
    assert [(u.order_id, u.name, u.days) for u in unpaid] == [(waiting, "#2", 9)]
    assert paid_out not in [u.order_id for u in unpaid]
    assert payout_service.unpaid_orders(hub.db, wait_days=7, now=T0 + timedelta(days=3)) == []  # still waiting
    with hub.db.transaction() as session:
        payments.store_payout(session, store, RemotePayout("p2", "paid", later, Money(D("50.00"), "USD")),
                              [bt("b2", "charge", "50.00", order="2")])
    assert payout_service.unpaid_orders(hub.db, wait_days=7, now=later) == []
    assert Decimal(payout_service.list_payouts(hub.db)[0].as_dict()["received"]) == D("50.00")
