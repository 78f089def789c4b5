"""Feed rows → storage form: exact integer money, and rows the schema cannot hold become rejects."""

from __future__ import annotations

from decimal import Decimal

from hub.domain.catalogue import OfferRow
from hub.domain.offer_storage import to_params


def row(line: int, sku: str, cost: str, shipping: str | None = None, title: str = "T") -> OfferRow:
    return OfferRow(line, sku, 3, Decimal(cost), "EUR", None if shipping is None else Decimal(shipping), title,
                    None, ("DE", "AT"), "in_stock")


def test_money_becomes_exact_integer_units() -> None:
    params = to_params([row(1, "A", "15.00", "4.9999"), row(2, "B", "0.0001"), row(3, "C", "1E+3", title="")], [])
    assert params == [("A", "T", None, 150000, 49999, "EUR", 3, '["DE", "AT"]'),
                      ("B", "T", None, 1, None, "EUR", 3, '["DE", "AT"]'),
                      ("C", None, None, 10000000, None, "EUR", 3, '["DE", "AT"]')]


def test_too_long_sku_and_inexact_amounts_are_rejected_not_truncated() -> None:
    rejects: list = []
    params = to_params([row(1, "x" * 256, "1.00"), row(2, "ok", "1.00"), row(3, "five", "15E-5"),
                        row(4, "ship", "1.00", "0.00001")], rejects)
    assert [p[0] for p in params] == ["ok"]
    assert [(r.line, r.field) for r in rejects] == [(1, "sku"), (3, "cost"), (4, "cost")]
