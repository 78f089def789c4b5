"""Refunds with their tax split, store-scoped references, and the ledger when supplier orders are
cancelled (estimate dropped, supplier credit booked), on both backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import Order, Store, SupplierOrder
from hub.domain.money import Money
from hub.domain.storefront import OrderRefund
from hub.services import anomalies
from hub.services.ledger import (
    drop_supplier_estimate,
    record_supplier_charge,
    record_supplier_credit,
    record_supplier_estimate,
    record_transactions,
)
from hub.services.orders import get_order
from tests import catalogue_builders as cb
from tests.integration.money_helpers import D, known_order, ledger, ledger_sum, supplier_order, txn


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def second_store(hub: Hub) -> int:
    with hub.db.transaction() as session:
        row = Store(platform="shopify", name="Other", shop_domain="other.myshopify.com", currency="USD", settings={})
        session.add(row)
        session.flush()
        return row.id


def test_returned_tax_is_not_profit_lost_and_refund_transactions_add_only_fees(hub: Hub) -> None:
    store = cb.store(hub.db)
    order_id = known_order(hub, store)  # revenue 49.90, tax 3.10
    refund = OrderRefund("r1", "5001", None, total=usd("18.55"), line_tax=usd("2.10"), shipping=usd("4.90"),
                         shipping_tax=usd("0.00"), transaction_ids=("t2",))
    sale, back = txn("t1", "sale", "53.00", fee="1.84"), txn("t2", "refund", "18.55", fee="0.10")
    with hub.db.transaction() as session:
        record_transactions(session, order_id, [sale, back], [refund])
        record_transactions(session, order_id, [sale, back], [refund])  # a re-pull changes nothing
    rows = ledger(hub, order_id)
    assert rows[f"refund:{store}:r1:goods"][:2] == ("refund", D("-11.5500"))
    assert rows[f"refund:{store}:r1:shipping"][:2] == ("refund_shipping", D("-4.9000"))
    assert rows[f"refund:{store}:r1:tax"][:2] == ("refund_tax", D("-2.1000"))
    assert not any(ref.startswith(f"txn:{store}:t2:refund") for ref in rows)
    assert rows[f"txn:{store}:t2:fee:ft2"][:2] == ("payment_fee", D("-0.1000"))
    view = get_order(hub.db, order_id, "USD")["profit"]
    # 49.90 revenue - 16.45 refunded (goods and shipping, not the tax) - 1.94 fees
    assert (view["revenue"], view["refunds"], view["fees"], view["profit"]) == ("49.90", "16.45", "1.94", "31.51")


def test_the_same_transaction_id_in_two_stores_is_two_facts(hub: Hub) -> None:
    first, second = cb.store(hub.db), second_store(hub)
    one, two = known_order(hub, first, "7001"), known_order(hub, second, "7001")
    with hub.db.transaction() as session:
        record_transactions(session, one, [txn("1001", "sale", "53.00", fee="1.84")])
        record_transactions(session, two, [txn("1001", "sale", "53.00", fee="2.00")])
    assert get_order(hub.db, one, "USD")["profit"]["fees"] == "1.84"
    assert get_order(hub.db, two, "USD")["profit"]["fees"] == "2.00"


def test_a_supplier_order_never_sent_leaves_no_estimate(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier, state="pending")
    with hub.db.transaction() as session:
        record_supplier_estimate(session, so)
    before = ledger_sum(hub, order_id)
    with hub.db.transaction() as session:
        assert drop_supplier_estimate(session, so) == 2
    assert ledger_sum(hub, order_id) == before + D("15.00")
    assert not any(ref.startswith(f"supplier_order:{so}:") for ref in ledger(hub, order_id))


def test_a_supplier_cancel_books_a_credit_that_evens_the_charge(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store, cancelled_at=utcnow(), cancel_reason="customer")
    so = supplier_order(hub, order_id, supplier)
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("12.00"), D("3.00"), "USD")
    charged = ledger_sum(hub, order_id)

    def listed(kind: str) -> list[object]:
        return [a["order_id"] for a in anomalies.reconcile(hub.db, tolerance_pct=D("5"), grace=timedelta(hours=1),
                                                           reporting_currency="USD", kind=kind)]

    assert listed("charged_for_cancelled_order") == [order_id]
    with hub.db.transaction() as session:
        session.execute(update(Order).where(Order.id == order_id).values(status="cancelled"))
        session.execute(update(SupplierOrder).where(SupplierOrder.id == so).values(state="cancelled"))
        record_supplier_credit(session, so)
        record_supplier_credit(session, so)  # written once, whatever the retries
    assert ledger_sum(hub, order_id) == charged + D("15.00")
    credits = {ref: row[:2] for ref, row in ledger(hub, order_id).items() if ":credit:" in ref}
    assert credits == {f"supplier_order:{so}:credit:supplier_cost:USD": ("supplier_cost", D("12.0000")),
                       f"supplier_order:{so}:credit:supplier_shipping:USD": ("supplier_shipping", D("3.0000"))}
    assert listed("charged_for_cancelled_order") == []
    assert listed("supplier_charged_twice") == [] and listed("supplier_charge_mismatch") == []
