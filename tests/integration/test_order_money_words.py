"""The order's money facts in words, read from the database on both backends (names looked up)."""

from __future__ import annotations

from hub.bootstrap import Hub
from hub.services import orders
from hub.services.ledger import record_supplier_charge, record_supplier_estimate, record_transactions
from tests import catalogue_builders as cb
from tests.integration.money_helpers import D, known_order, supplier_order, txn


def test_each_money_fact_of_an_order_reads_as_words(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "sandbox-east")
    order_id = known_order(hub, store, "52")
    charged, estimated = supplier_order(hub, order_id, supplier), supplier_order(hub, order_id, supplier, attempt=2)
    with hub.db.transaction() as session:
        record_transactions(session, order_id, [txn("9", "sale", "53.00", fee="1.75"), txn("10", "refund", "5.00")])
        record_supplier_charge(session, charged, D("12.00"), D("3.00"), "USD")
        record_supplier_estimate(session, estimated)
    ledger = orders.get_order(hub.db, order_id, "USD")["ledger"]
    said = sorted((row["description"], row["amount"]) for row in ledger)
    assert said == sorted([
        ("Sale, 2 x Mug (MUG)", "27.00"), ("Sale, 1 x Cap (CAP)", "20.00"), ("Order discount", "-2.00"),
        ("Shipping charged", "4.90"), ("Tax collected", "3.10"), ("Payment fee", "-1.75"), ("Refund (goods)", "-5.00"),
        (f"Supplier charge, sandbox-east R-{order_id}-{supplier}-1", "-12.00"),
        (f"Supplier shipping, sandbox-east R-{order_id}-{supplier}-1", "-3.00"),
        (f"Supplier cost, sandbox-east R-{order_id}-{supplier}-2 (estimated)", "-12.00"),
        (f"Supplier shipping, sandbox-east R-{order_id}-{supplier}-2 (estimated)", "-3.00")])
    assert all(":" not in words for words, _ in said)
