"""The pure ledger rules: which rows an order, a transaction and a supplier charge make."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hub.domain import ledger as L

AT = datetime(2026, 11, 1, tzinfo=UTC)
D = Decimal


def test_order_rows_split_line_and_order_discounts() -> None:
    order = L.OrderFacts(order_id=7, currency="USD", placed_at=AT, total_discounts=D("5"), total_shipping=D("4.90"),
                         total_tax=D("0"), lines=(L.LineFacts(1, "MUG", 2, D("15"), D("3")),
                                                  L.LineFacts(2, "CAP", 1, D("20"), D("0"))))
    rows = {e.source_ref: (e.kind, e.amount) for e in L.order_entries(order)}
    assert rows == {"order:7:line:1:sale": ("sale", D("27")), "order:7:line:2:sale": ("sale", D("20")),
                    "order:7:discount": ("discount", D("-2")), "order:7:shipping": ("shipping", D("4.90"))}


def test_transactions_refund_chargeback_fees_and_failures() -> None:
    refund = L.TxnFacts("9", "refund", "success", D("10"), "USD", AT, fees=(("f", D("0.30"), "USD"),),
                        shipping_refund=D("4"))
    assert [(e.source_ref, e.kind, e.amount) for e in L.transaction_entries(refund)] == [
        ("txn:9:refund", "refund", D("-6")), ("txn:9:refund_shipping", "refund_shipping", D("-4")),
        ("txn:9:fee:f", "payment_fee", D("-0.30"))]
    dispute = L.TxnFacts("10", "chargeback", "success", D("-25"), "USD", AT)
    assert [(e.kind, e.amount) for e in L.transaction_entries(dispute)] == [("chargeback", D("-25"))]
    failed = L.TxnFacts("11", "sale", "failure", D("25"), "USD", AT, fees=(("f", D("1"), "USD"),))
    assert L.transaction_entries(failed) == []


def test_estimated_and_actual_supplier_rows_have_distinct_references() -> None:
    estimate = L.supplier_entries(3, 1, D("10"), D("2"), "USD", AT, estimated=True)
    actual = L.supplier_entries(3, 1, D("10"), D("2"), "USD", AT, estimated=False)
    assert {e.source_ref for e in estimate}.isdisjoint({e.source_ref for e in actual})
    assert [e.amount for e in actual] == [D("-10"), D("-2")] and all(e.estimated for e in estimate)
    assert L.fx_difference_entry(3, 1, D("12"), D("12"), "USD", AT) is None


def test_a_refund_splits_goods_shipping_and_tax_and_tax_is_no_profit_column() -> None:
    refund = L.RefundFacts("4:77", "EUR", AT, goods=D("12.10"), shipping=D("4.90"), tax=D("2.54"))
    assert [(e.source_ref, e.kind, e.amount) for e in L.refund_entries(refund)] == [
        ("refund:4:77:goods", "refund", D("-12.10")), ("refund:4:77:shipping", "refund_shipping", D("-4.90")),
        ("refund:4:77:tax", "refund_tax", D("-2.54"))]
    assert [e.kind for e in L.refund_entries(L.RefundFacts("8", "EUR", AT, D("3"), D("0"), D("0")))] == ["refund"]
    assert not any(L.REFUND_TAX in kinds for kinds in L.PROFIT_BUCKETS.values())


def test_with_refund_records_a_refund_transaction_adds_only_its_fees() -> None:
    refund = L.TxnFacts("9", "refund", "success", D("10"), "USD", AT, fees=(("f", D("0.30"), "USD"),))
    assert [(e.kind, e.amount) for e in L.transaction_entries(refund, refund_amounts=False)] == [
        ("payment_fee", D("-0.30"))]
    sale = L.TxnFacts("8", "sale", "success", D("10"), "USD", AT, fees=(("f", D("0.59"), "USD"),))
    assert L.transaction_entries(sale, refund_amounts=False) == L.transaction_entries(sale)
