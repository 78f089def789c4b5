"""Each anomaly kind in one sentence with names and amounts (never a database id)."""

from __future__ import annotations

import pytest

from hub.domain.anomaly_words import AnomalyNames, describe_anomaly

NAMES = AnomalyNames(order="#1001", store="Mugs & Co", supplier="Sandbox East", supplier_order="H52-S1-1",
                     payout="P-9")


@pytest.mark.parametrize("kind, details, words", [
    ("unsent_paid_order", {}, "Order #1001 (Mugs & Co) is paid but was never sent to a supplier."),
    ("unsent_paid_order", {"order_total": "53.0000", "currency": "USD"},
     "Order #1001 (Mugs & Co) is paid (53.00 USD) but was never sent to a supplier."),
    ("charged_for_cancelled_order", {"charged": "12.0000", "currency": "USD", "status": "cancelled"},
     "Sandbox East still charges 12.00 USD for the goods of order #1001 (Mugs & Co), which is cancelled: "
     "ask for a credit."),
    ("supplier_charged_twice", {"charges": 3, "charged": "36", "currency": "EUR"},
     "Sandbox East charged 3 times for order #1001 (Mugs & Co): 36.00 EUR for goods in all."),
    ("supplier_charge_mismatch", {"charged": "10.51", "expected": "10.00", "currency": "USD"},
     "Sandbox East charged 10.51 USD for order #1001 (Mugs & Co) (supplier order H52-S1-1), 0.51 USD more than "
     "the 10.00 USD expected."),
    ("supplier_charge_mismatch", {"charged": "9", "expected": "10.00", "currency": "JPY"},
     "Sandbox East charged 9 JPY for order #1001 (Mugs & Co) (supplier order H52-S1-1), 1 JPY less than "
     "the 10 JPY expected."),
    ("payout_mismatch", {"net": "60.00", "transactions_net": "9.00", "currency": "USD"},
     "Payout P-9 of Mugs & Co paid 60.00 USD but its transactions add up to 9.00 USD: 51.00 USD unexplained."),
    ("negative_margin", {"profit": "-0.85", "currency": "USD"},
     "Order #1001 (Mugs & Co) loses 0.85 USD: its costs exceed what it earned."),
    ("fx_rate_missing", {"currency": "EUR", "reporting_currency": "USD", "day": "2026-11-01"},
     "No EUR→USD exchange rate on or before 2026-11-01: profit of that day leaves those amounts out until one "
     "is imported."),
])
def test_each_kind_in_words(kind: str, details: dict[str, object], words: str) -> None:
    assert describe_anomaly(kind, details, NAMES) == words


def test_unknown_names_still_read_as_words() -> None:
    said = describe_anomaly("charged_for_cancelled_order", {}, AnomalyNames())
    assert said == "A supplier still charges an amount for the goods of an order, which is cancelled: ask for a credit."
    assert describe_anomaly("something_new", {}, AnomalyNames(order="#5")) == "Something new: order #5."
