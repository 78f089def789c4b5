"""Each anomaly kind provoked and seen listed (and on the attention list); payments from the sandbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import AttentionItem, LedgerEntry, Order, Payout, PayoutTransaction
from hub.domain.money import Money
from hub.domain.orders import FinancialStatus, FulfillmentStatus
from hub.domain.storefront import BalanceTransaction
from hub.domain.storefront import Payout as RemotePayout
from hub.services import anomalies, payments, pull
from hub.services.ledger import record_supplier_charge, record_transactions
from tests import catalogue_builders as cb
from tests.integration.money_helpers import T0, D, known_order, supplier_order, txn


def found(hub: Hub, kind: str) -> list[dict[str, Any]]:
    return anomalies.reconcile(hub.db, tolerance_pct=D("5"), grace=timedelta(minutes=60),
                               reporting_currency="USD", kind=kind)


def on_attention_list(hub: Hub, kind: str) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(AttentionItem)
                                   .where(AttentionItem.kind == kind)).scalar_one())


def test_paid_order_never_sent_to_a_supplier(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    stuck = known_order(hub, store, "1")
    sent = known_order(hub, store, "2")
    supplier_order(hub, sent, supplier, state="accepted")
    assert [a["order_id"] for a in found(hub, "unsent_paid_order")] == [stuck]
    assert on_attention_list(hub, "unsent_paid_order") == 1
    found(hub, "unsent_paid_order")
    assert on_attention_list(hub, "unsent_paid_order") == 1  # one open item per cause
    fresh = anomalies.reconcile(hub.db, tolerance_pct=D("5"), grace=timedelta(days=36500),
                                reporting_currency="USD", kind="unsent_paid_order")
    assert fresh == []  # within the grace period it is not yet an anomaly


def test_an_order_the_store_fulfilled_itself_is_not_unsent(hub: Hub) -> None:
    """Paid, never sent, but settled: fulfilled at the store, refunded, or cancelled. Its open item
    resolves once the store says so, and it stays off the list."""
    store = cb.store(hub.db)
    stuck = known_order(hub, store, "1")
    by_store = known_order(hub, store, "2", fulfillment_status=FulfillmentStatus.FULFILLED)
    refunded = known_order(hub, store, "3", financial_status=FinancialStatus.REFUNDED)
    with hub.db.read() as session:
        lifecycles = dict(session.execute(select(Order.id, Order.lifecycle)).all())
    assert lifecycles == {stuck: "received", by_store: "fulfilled", refunded: "refunded"}
    assert [a["order_id"] for a in found(hub, "unsent_paid_order")] == [stuck]
    # later the store fulfils the stuck one itself: the anomaly no longer holds and its item closes
    known_order(hub, store, "1", placed=T0 + timedelta(hours=1), fulfillment_status=FulfillmentStatus.FULFILLED)
    assert found(hub, "unsent_paid_order") == []
    with hub.db.read() as session:
        open_items = session.execute(select(AttentionItem.order_id).where(
            AttentionItem.kind == "unsent_paid_order", AttentionItem.resolved_at.is_(None))).scalars().all()
    assert open_items == []


def test_supplier_charged_for_a_cancelled_order(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store, cancelled_at=utcnow(), cancel_reason="customer")
    so = supplier_order(hub, order_id, supplier)
    assert found(hub, "charged_for_cancelled_order") == []
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("12.00"), D("3.00"), "USD")
    assert [a["order_id"] for a in found(hub, "charged_for_cancelled_order")] == [order_id]


def test_supplier_order_charged_twice(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier)
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("12.00"), D("3.00"), "USD", charge_ref="c1")
        record_supplier_charge(session, so, D("12.00"), D("3.00"), "USD", charge_ref="c1")  # a replay
    assert found(hub, "supplier_charged_twice") == []
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("12.00"), D("3.00"), "USD", charge_ref="c2")
    assert [(a["order_id"], a["details"]["charges"]) for a in found(hub, "supplier_charged_twice")] == [(order_id, 2)]


def test_supplier_charge_beyond_tolerance(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    near, far = known_order(hub, store, "1"), known_order(hub, store, "2")
    so_near = supplier_order(hub, near, supplier, cost="10.00", shipping="0.00")
    so_far = supplier_order(hub, far, supplier, cost="10.00", shipping="0.00")
    with hub.db.transaction() as session:
        record_supplier_charge(session, so_near, D("10.50"), D("0"), "USD")  # 5 %: within tolerance
        record_supplier_charge(session, so_far, D("10.51"), D("0"), "USD")
    listed = found(hub, "supplier_charge_mismatch")
    assert [(a["supplier_order_id"], a["details"]["charged"]) for a in listed] == [(so_far, "10.5100")]


def test_payout_not_matching_its_transactions(hub: Hub) -> None:
    store = cb.store(hub.db)
    order_id = known_order(hub, store)
    with hub.db.transaction() as session:
        external = session.get(Order, order_id).external_id  # type: ignore[union-attr]
    usd = "USD"
    balance = [BalanceTransaction(transaction_id="b1", type="charge", amount=Money(D("50.00"), usd),
                                  fee=Money(D("1.75"), usd), net=Money(D("48.25"), usd), transaction_date=None,
                                  order_id=external)]
    with hub.db.transaction() as session:
        ok = payments.store_payout(session, store, RemotePayout("p1", "paid", None, Money(D("48.25"), usd)), balance)
        bad = payments.store_payout(session, store, RemotePayout("p2", "paid", None, Money(D("60.00"), usd)),
                                    [BalanceTransaction(transaction_id="b2", type="charge", amount=Money(D("9"), usd),
                                                        fee=Money(D("0"), usd), net=Money(D("9"), usd),
                                                        transaction_date=None)])
        matched = session.execute(select(PayoutTransaction.order_id).where(
            PayoutTransaction.external_id == "b1")).scalar_one()
    assert ok and not bad and matched == order_id
    dispute = BalanceTransaction(transaction_id="b3", type="dispute", amount=Money(D("-50.00"), usd),
                                 fee=Money(D("15.00"), usd), net=Money(D("-65.00"), usd), transaction_date=None,
                                 order_id=external)
    with hub.db.transaction() as session:
        payments.store_payout(session, store, RemotePayout("p3", "paid", None, Money(D("-65.00"), usd)), [dispute])
        payments.store_payout(session, store, RemotePayout("p3", "paid", None, Money(D("-65.00"), usd)), [dispute])
        booked = sorted(session.execute(select(LedgerEntry.kind, LedgerEntry.amount).where(
            LedgerEntry.source_ref.like(f"balance:{store}:b3:%"))).all())
    assert booked == [("chargeback", D("-50.0000")), ("payment_fee", D("-15.0000"))]
    assert [a["details"]["payout"] for a in found(hub, "payout_mismatch")] == ["p2"]


def test_order_with_negative_margin(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier, cost="45.00", shipping="4.00")
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("45.00"), D("4.00"), "USD")
    assert found(hub, "negative_margin") == []  # 49.90 - 49.00 = 0.90
    with hub.db.transaction() as session:
        record_transactions(session, order_id, [txn("9", "sale", "50.00", fee="1.75")])
    listed = found(hub, "negative_margin")
    assert [(a["order_id"], a["details"]["profit"]) for a in listed] == [(order_id, "-0.8500")]


def test_missing_fx_rate_says_which_currency_and_day(hub: Hub) -> None:
    store = cb.store(hub.db)
    known_order(hub, store, currency="EUR")
    assert [(a["details"]["currency"], a["details"]["day"]) for a in found(hub, "fx_rate_missing")] == [
        ("EUR", "2026-11-01")]


def test_payments_pull_from_the_sandbox_books_fees_and_reconciles_payouts(connected: tuple[Hub, int]) -> None:
    hub, store_id = connected
    hub.settings.payments_lookback_days = 3650
    pull.pull_orders(hub, store_id)
    counts = payments.pull_payments(hub, store_id)
    again = payments.pull_payments(hub, store_id)
    assert counts["orders"] > 0 and counts["payouts"] > 0 and counts["unreconciled"] == 0
    assert again["unreconciled"] == 0
    with hub.db.transaction() as session:
        fees = session.execute(select(func.count(), func.sum(LedgerEntry.amount))
                               .where(LedgerEntry.kind == "payment_fee")).one()
        payouts = session.execute(select(Payout.reconciled)).scalars().all()
        unmatched = session.execute(select(func.count()).select_from(PayoutTransaction)
                                    .where(PayoutTransaction.order_id.is_(None))).scalar_one()
        rows = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    assert fees[0] > 0 and fees[1] < Decimal(0)
    assert payouts and all(payouts) and unmatched == 0
    payments.pull_payments(hub, store_id)
    with hub.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == rows  # no doubles
