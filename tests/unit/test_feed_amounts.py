"""Amount columns straight to storage units: exactly what Decimal and `to_params` would give."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.suppliers.feeds.amounts import decimal_amounts, scaled_amounts
from hub.domain.catalogue import MIN_AMOUNT
from hub.domain.offer_storage import FACTOR


def test_plain_amounts_become_units() -> None:
    assert scaled_amounts(["12.30", "12.31"], positive=True) == [123000, 123100]
    assert scaled_amounts(["12.3", "5", "0.0001", "007.50"], positive=True) == [123000, 50000, 1, 75000]
    assert scaled_amounts(["1000000000000"], positive=True) == [10**16]
    assert scaled_amounts(["4.95"] * 8 + [""] * 0, positive=False) == [49500] * 8
    assert scaled_amounts([], positive=True) == []


def test_other_valid_spellings_take_the_decimal_route() -> None:
    assert scaled_amounts([" 4.95", "4.95 ", "+1.00", "5.", ".5"], positive=True) == [49500, 49500, 10000, 50000, 5000]


def test_anything_doubtful_is_refused() -> None:
    for texts in (["0"], ["0.00"], ["0.00001"], ["1.2.3"], ["1.00,2.00", "3.00"], ["1.00,2.5", "3"], ["1,50"],
                  ["1e3"], [""], [" "], ["1000000000000.0001"], ["1" * 5000], ["\u0663.\u0665\u0660"], ["\uff11"],
                  ["1_000"], ["-1"], ["15.00 USD"], ["NaN"], ["."]):
        assert scaled_amounts(texts, positive=True) is None, texts
    assert scaled_amounts(["0", "0.00"], positive=False) == [0, 0]


amounts = st.one_of(
    st.builds(lambda n, k: f"{n / 10**k:.{k}f}" if k else str(n), st.integers(0, 10**17), st.integers(0, 6)),
    st.from_regex(r"[ +]?[0-9]{0,14}(\.[0-9]{0,6})?[ ]?", fullmatch=True),
    st.text("0123456789.+ ,e_", max_size=8),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=12), st.booleans())
def test_units_equal_decimal_times_factor(texts: list[str], positive: bool) -> None:
    units = scaled_amounts(texts, positive=positive)
    decimals = decimal_amounts(texts, MIN_AMOUNT if positive else Decimal(0))
    if units is None:
        # Refused only what the Decimal route refuses too (or what lies outside the range).
        assert decimals is None or any(not (positive <= int(d * FACTOR) <= 10**16) for d in decimals)
        return
    assert decimals is not None
    assert units == [int(d * FACTOR) for d in decimals]
    assert all(type(u) is int for u in units)
