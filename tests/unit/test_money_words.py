"""Every ledger kind said in words, as the order page shows it (never a raw reference)."""

from __future__ import annotations

import pytest

from hub.domain import ledger as L
from hub.domain.money_words import EntryNames, describe_entry

MUG = EntryNames(line_title="Blue Mug", line_sku="MUG-1", quantity=2)
EAST = EntryNames(supplier="sandbox-east", supplier_order="H52-S1-1")


@pytest.mark.parametrize("kind, ref, names, estimated, words", [
    (L.SALE, "order:7:line:3:sale", MUG, False, "Sale, 2 x Blue Mug (MUG-1)"),
    (L.SALE, "order:7:line:3:sale", EntryNames(line_sku="MUG-1", quantity=1), False, "Sale, 1 x MUG-1"),
    (L.SALE, "order:7:line:3:sale", EntryNames(), False, "Sale, an item"),
    (L.DISCOUNT, "order:7:discount", EntryNames(), False, "Order discount"),
    (L.SHIPPING, "order:7:shipping", EntryNames(), False, "Shipping charged"),
    (L.TAX, "order:7:tax", EntryNames(), False, "Tax collected"),
    (L.REFUND, "refund:1:9:goods", EntryNames(), False, "Refund (goods)"),
    (L.REFUND, "txn:1:9:refund", EntryNames(), False, "Refund (goods)"),
    (L.REFUND_SHIPPING, "refund:1:9:shipping", EntryNames(), False, "Refund (shipping)"),
    (L.REFUND_TAX, "refund:1:9:tax", EntryNames(), False, "Refund (tax)"),
    (L.PAYMENT_FEE, "txn:1:9:fee:f9", EntryNames(), False, "Payment fee"),
    (L.PAYMENT_FEE, "balance:1:b3:fee", EntryNames(), False, "Chargeback fee"),
    (L.CHARGEBACK, "txn:1:9:chargeback", EntryNames(), False, "Chargeback"),
    (L.CHARGEBACK, "balance:1:b3:chargeback", EntryNames(), False, "Chargeback (from the payout)"),
    (L.SUPPLIER_COST, "supplier_order:52:actual:cost", EAST, False, "Supplier charge, sandbox-east H52-S1-1"),
    (L.SUPPLIER_COST, "supplier_order:52:estimate:cost", EAST, True,
     "Supplier cost, sandbox-east H52-S1-1 (estimated)"),
    (L.SUPPLIER_COST, "supplier_order:52:c2:actual:cost", EAST, False,
     "Supplier charge, sandbox-east H52-S1-1 (charge c2)"),
    (L.SUPPLIER_SHIPPING, "supplier_order:52:actual:shipping", EAST, False,
     "Supplier shipping, sandbox-east H52-S1-1"),
    (L.SUPPLIER_SHIPPING, "supplier_order:52:estimate:shipping", EAST, True,
     "Supplier shipping, sandbox-east H52-S1-1 (estimated)"),
    (L.SUPPLIER_COST, "supplier_order:52:credit:supplier_cost:USD", EAST, False,
     "Supplier charge returned, sandbox-east H52-S1-1"),
    (L.FX_DIFFERENCE, "supplier_order:52:fx", EAST, False, "FX difference, sandbox-east H52-S1-1"),
    (L.FX_DIFFERENCE, "supplier_order:52:credit:fx_difference:USD", EAST, False,
     "FX difference returned, sandbox-east H52-S1-1"),
    (L.SUPPLIER_COST, "supplier_order:52:actual:cost", EntryNames(), False, "Supplier charge, a supplier"),
    ("allocation_adjustment", "x:1", EntryNames(), False, "Allocation adjustment"),
    (L.TAX, "order:7:tax", EntryNames(), True, "Tax collected (estimated)"),
])
def test_each_kind_in_words(kind: str, ref: str, names: EntryNames, estimated: bool, words: str) -> None:
    assert describe_entry(kind, ref, names, estimated=estimated) == words


def test_every_ledger_kind_has_its_own_words() -> None:
    kinds = [L.SALE, L.DISCOUNT, L.SHIPPING, L.TAX, L.REFUND, L.REFUND_SHIPPING, L.REFUND_TAX, L.PAYMENT_FEE,
             L.CHARGEBACK, L.SUPPLIER_COST, L.SUPPLIER_SHIPPING, L.FX_DIFFERENCE]
    said = {describe_entry(kind, "ref", EAST) for kind in kinds}
    assert len(said) == len(kinds)
    assert not any("_" in words or ":" in words for words in said)
