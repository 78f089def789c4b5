from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.manual_orders import ManualLine, ManualOrderError, build_manual_order, orders_from_csv_rows
from tests.factories import T0

ADDRESS = {"name": "Ada", "address1": "1 Main St", "city": "Springfield", "country_code": "us"}


def test_valid_order_totals_and_normalisation() -> None:
    order = build_manual_order("PHONE-1", "eur", [ManualLine("A", "2", "9.99"), ManualLine("B", 1, Decimal("5"))],
                               ADDRESS, now=T0, shipping="4.50", discount="1.00", email="a@b.cz")
    assert order.currency == "EUR" and order.shipping_address and order.shipping_address.country_code == "US"
    assert order.subtotal_price == Decimal("24.98") and order.total_price == Decimal("28.48")
    assert [line.external_id for line in order.lines] == ["1", "2"]


@pytest.mark.parametrize(("change", "field"), [
    ({"reference": ""}, "reference"),
    ({"currency": "EURO"}, "currency"),
    ({"lines": [ManualLine("", 1, "1")]}, "sku"),
    ({"lines": [ManualLine("A", 0, "1")]}, "quantity"),
    ({"lines": [ManualLine("A", "1.5", "1")]}, "quantity"),
    ({"lines": [ManualLine("A", 1, "-1")]}, "unit_price"),
    ({"lines": [ManualLine("A", 1, "abc")]}, "unit_price"),
    ({"lines": []}, "lines"),
    ({"address": {**ADDRESS, "country_code": "XX"}}, "country_code"),
    ({"address": {**ADDRESS, "city": " "}}, "city"),
    ({"email": "nobody"}, "email"),
    ({"discount": "1000"}, "discount"),
])
def test_each_rule_names_its_field(change: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"reference": "R1", "currency": "USD", "lines": [ManualLine("A", 1, "10")],
                               "address": ADDRESS, "email": None, "discount": None}
    args.update(change)
    with pytest.raises(ManualOrderError) as caught:
        build_manual_order(args["reference"], args["currency"], args["lines"], args["address"],  # type: ignore[arg-type]
                           now=T0, email=args["email"], discount=args["discount"])  # type: ignore[arg-type]
    assert caught.value.field == field


def _row(reference: str, sku: str = "A", quantity: str = "1", currency: str = "USD") -> dict[str, str | None]:
    return {"reference": reference, "currency": currency, "sku": sku, "quantity": quantity, "unit_price": "3.00",
            "address1": "1 Main St", "city": "Brno", "country_code": "CZ"}


def test_csv_groups_lines_and_rejects_a_bad_order_whole() -> None:
    rows = [(2, _row("A1")), (3, _row("A1", "B", "2")), (4, _row("B1", quantity="x")), (5, _row("B1")),
            (6, _row("")), (7, _row("C1", currency="USD")), (8, _row("C1", currency="EUR"))]
    orders, rejects = orders_from_csv_rows(rows, T0)
    assert [(o.external_id, len(o.lines)) for o in orders] == [("A1", 2)]
    assert [(r.line, r.field) for r in rejects] == [(4, "quantity"), (5, None), (6, "reference"),
                                                    (7, None), (8, "currency")]
    assert "line 4" in rejects[1].reason


@given(st.lists(st.dictionaries(st.sampled_from(["reference", "currency", "sku", "quantity", "unit_price",
                                                 "address1", "city", "country_code", "shipping"]),
                                st.text(max_size=8)), max_size=12))
def test_csv_rows_never_crash_and_every_row_is_accounted_for(raw: list[dict[str, str]]) -> None:
    rows = [(i + 2, dict(row)) for i, row in enumerate(raw)]
    orders, rejects = orders_from_csv_rows(rows, T0)  # type: ignore[arg-type]
    assert sum(len(o.lines) for o in orders) + len(rejects) == len(rows)
