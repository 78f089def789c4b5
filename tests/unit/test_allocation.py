"""The allocation of money facts to lines and suppliers: the parts always add up to the whole."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain import ledger as L
from hub.domain.allocation import NO_LINE, NOT_ROUTED, Fact, Line, SupplierOrderLine, allocate, split
from hub.domain.money import minor_units

D = Decimal
CURRENCIES = ("USD", "JPY", "KWD", "EUR")


@pytest.mark.parametrize(("amount", "weights", "currency", "expected"), [
    ("10.00", [1, 1, 1], "USD", ["3.34", "3.33", "3.33"]),
    ("-10.00", [1, 1, 1], "USD", ["-3.34", "-3.33", "-3.33"]),
    ("100", [1, 2], "JPY", ["33", "67"]),
    ("1.000", [1, 1, 1], "KWD", ["0.334", "0.333", "0.333"]),
    ("5.00", [0, 0], "USD", ["2.50", "2.50"]),  # all-zero weights: equal shares
    ("0.01", [3, 1], "USD", ["0.01", "0.00"]),
    ("1.2345", [1, 1], "USD", ["0.6245", "0.61"]),  # sub-cent storage residue to the largest weight
    ("7.00", [D("-5"), D("2")], "USD", ["0.00", "7.00"]),  # negative weights count as zero
])
def test_split_table(amount: str, weights: list[int], currency: str, expected: list[str]) -> None:
    assert split(D(amount), weights, currency) == [D(x) for x in expected]


def test_split_falls_back_to_the_fallback_weights_before_equal_shares() -> None:
    assert split(D("9.00"), [0, 0, 0], "USD", [1, 2, 0]) == [D("3.00"), D("6.00"), D("0.00")]
    assert split(D("9.00"), [0, 0, 0], "USD", [0, 0, 0]) == [D("3.00"), D("3.00"), D("3.00")]


def test_split_refuses_no_parts() -> None:
    with pytest.raises(ValueError, match="no parts"):
        split(D("1"), [], "USD")


amounts = st.decimals(min_value=D("-100000"), max_value=D("100000"), places=4, allow_nan=False,
                      allow_infinity=False)
weights = st.lists(st.decimals(min_value=D("-10"), max_value=D("10000"), places=2, allow_nan=False,
                               allow_infinity=False), min_size=1, max_size=12)


@given(amount=amounts, weights=weights, currency=st.sampled_from(CURRENCIES))
@settings(max_examples=400, deadline=None)
def test_split_parts_add_up_and_are_whole_units(amount: Decimal, weights: list[Decimal], currency: str) -> None:
    parts = split(amount, weights, currency)
    assert sum(parts, D(0)) == amount
    assert len(parts) == len(weights)
    unit = D(1).scaleb(-minor_units(currency))
    off_unit = [p for p in parts if p % unit]
    assert len(off_unit) <= 1  # only the sub-unit storage residue lands off the currency's grid
    # Each part is within one unit of its exact proportional share (largest remainder).
    usable = [max(w, D(0)) for w in weights]
    total = sum(usable)
    if total and amount % unit == 0:
        for part, weight in zip(parts, usable, strict=True):
            assert abs(part - amount * weight / total) < unit


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[Fact], list[Line], dict[int, list[SupplierOrderLine]], str]:
    currency = draw(st.sampled_from(CURRENCIES))
    places = minor_units(currency)
    money = st.decimals(min_value=D(0), max_value=D(5000), places=places, allow_nan=False, allow_infinity=False)
    line_count = draw(st.integers(0, 5))
    zero_revenue = draw(st.booleans())
    lines = []
    for line_id in range(1, line_count + 1):
        suppliers = tuple(draw(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 4)), max_size=2,
                                        unique_by=lambda s: s[0])))
        lines.append(Line(line_id, draw(st.integers(1, 6)), D(0) if zero_revenue else draw(money), suppliers))
    supplier_orders: dict[int, list[SupplierOrderLine]] = {}
    for so_id in (100, 101):
        so_lines = [SupplierOrderLine(line.line_id, draw(st.integers(1, 4)), draw(money), draw(money))
                    for line in lines if draw(st.booleans())]
        supplier_orders[so_id] = so_lines
    facts = [Fact(i, L.SALE, line.revenue, currency, order_line_id=line.line_id) for i, line in enumerate(lines)]
    order_kinds = st.sampled_from([L.SHIPPING, L.DISCOUNT, L.PAYMENT_FEE, L.REFUND, L.REFUND_SHIPPING,
                                   L.CHARGEBACK, L.TAX])
    signed = st.decimals(min_value=D(-5000), max_value=D(5000), places=4, allow_nan=False, allow_infinity=False)
    for i in range(draw(st.integers(0, 6))):
        facts.append(Fact(1000 + i, draw(order_kinds), draw(signed), draw(st.sampled_from(CURRENCIES))))
    for i in range(draw(st.integers(0, 4))):
        so_id = draw(st.sampled_from([100, 101]))
        kind = draw(st.sampled_from([L.SUPPLIER_COST, L.SUPPLIER_SHIPPING, L.FX_DIFFERENCE]))
        facts.append(Fact(2000 + i, kind, draw(signed), currency, supplier_id=so_id - 99, supplier_order_id=so_id))
    return facts, lines, supplier_orders, currency


@given(orders())
@settings(max_examples=300, deadline=None)
def test_every_fact_is_allocated_whole(order: tuple[list[Fact], list[Line], dict[int, list[SupplierOrderLine]],
                                                    str]) -> None:
    facts, lines, supplier_orders, _ = order
    parts = allocate(facts, lines, supplier_orders)
    by_entry: dict[int, Decimal] = defaultdict(Decimal)
    for part in parts:
        by_entry[part.entry_id] += part.amount
        if lines:
            assert part.line_id in {line.line_id for line in lines} or part.line_id is NO_LINE
        else:
            assert part.line_id is NO_LINE
    assert by_entry == {fact.entry_id: fact.amount for fact in facts}
    line_ids = {line.line_id for line in lines}
    for fact in facts:
        mine = [p for p in parts if p.entry_id == fact.entry_id]
        if fact.supplier_id is not None:  # a supplier's fact stays with that supplier
            assert {p.supplier_id for p in mine} == {fact.supplier_id}
        if fact.supplier_order_id is None and lines:  # order-level facts reach only real lines
            assert {p.line_id for p in mine} <= line_ids


def test_order_level_facts_follow_goods_revenue_and_lines_follow_their_suppliers() -> None:
    lines = [Line(1, 2, D("30.00"), ((7, 1), (8, 1))), Line(2, 1, D("10.00"))]
    facts = [Fact(1, L.SALE, D("30.00"), "USD", order_line_id=1),
             Fact(2, L.SHIPPING, D("4.01"), "USD"),
             Fact(3, L.PAYMENT_FEE, D("-1.00"), "USD")]
    parts = {(p.entry_id, p.line_id, p.supplier_id): p.amount for p in allocate(facts, lines, {})}
    assert parts == {
        (1, 1, 7): D("15.00"), (1, 1, 8): D("15.00"),
        (2, 1, 7): D("1.51"), (2, 1, 8): D("1.50"), (2, 2, NOT_ROUTED): D("1.00"),
        (3, 1, 7): D("-0.38"), (3, 1, 8): D("-0.37"), (3, 2, NOT_ROUTED): D("-0.25"),
    }


def test_supplier_shipping_follows_the_supplier_order_lines() -> None:
    so_lines = {5: [SupplierOrderLine(1, 1, D("8.00"), D("0")), SupplierOrderLine(2, 3, D("2.00"), D("0"))]}
    lines = [Line(1, 1, D("20"), ((9, 1),)), Line(2, 3, D("20"), ((9, 3),))]
    facts = [Fact(1, L.SUPPLIER_SHIPPING, D("-5.00"), "USD", supplier_id=9, supplier_order_id=5),
             Fact(2, L.SUPPLIER_COST, D("-10.00"), "USD", supplier_id=9, supplier_order_id=5)]
    parts = {(p.entry_id, p.line_id): p.amount for p in allocate(facts, lines, so_lines)}
    # No shipping per line: shipping follows cost (8:2), like the cost itself.
    assert parts == {(1, 1): D("-4.00"), (1, 2): D("-1.00"), (2, 1): D("-8.00"), (2, 2): D("-2.00")}


def test_an_order_without_lines_keeps_its_facts_on_no_line() -> None:
    parts = allocate([Fact(1, L.SHIPPING, D("3.00"), "USD")], [], {})
    assert [(p.line_id, p.supplier_id, p.amount) for p in parts] == [(NO_LINE, NOT_ROUTED, D("3.00"))]
