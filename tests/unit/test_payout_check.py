"""A payout against the hub's books: every cause in words, and the causes add up to the difference."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.payouts import (
    ADJUSTMENT,
    CHARGE,
    DISPUTE,
    OTHER,
    REFUND,
    RESERVE,
    PayoutPart,
    check_payout,
    group_of,
)

D = Decimal


def test_a_payout_that_matches_its_orders_has_no_difference() -> None:
    parts = [PayoutPart(CHARGE, D("50.00"), D("1.75"), D("50.00"), D("1.75"), 1, "#1001"),
             PayoutPart(REFUND, D("-20.00"), D("0"), D("-20.00"), D("0"), 2, "#1002")]
    check = check_payout(D("28.25"), "USD", parts)
    assert (check.expected, check.received, check.difference) == (D("28.25"), D("28.25"), D(0))
    assert check.differences == () and check.summary == ()


def test_refunds_not_in_the_hub_and_a_higher_fee_are_named() -> None:
    parts = [PayoutPart(CHARGE, D("50.00"), D("2.05"), D("50.00"), D("1.75"), 1, "#1001"),
             PayoutPart(REFUND, D("-10.00"), D("0"), None, order_id=2, order_name="#1002"),
             PayoutPart(REFUND, D("-5.00"), D("0"), None, order_id=3, order_name="#1003")]
    check = check_payout(D("32.95"), "USD", parts)
    assert check.expected == D("48.25") and check.difference == D("-15.30")
    assert check.summary == ("fee 0.30 higher than recorded", "2 refunds not in the hub (-15.00)")
    assert [d.words for d in check.differences] == [
        "fee for order #1001 0.30 higher than recorded", "refund of 10.00 for order #1002 not in the hub",
        "refund of 5.00 for order #1003 not in the hub"]


def test_adjustments_reserves_and_amounts_outside_the_transactions() -> None:
    parts = [PayoutPart(ADJUSTMENT, D("-3.00"), D("0"), None), PayoutPart(RESERVE, D("-100.00"), D("0"), None),
             PayoutPart(CHARGE, D("40.00"), D("0"), D("42.00"), D("0"), 5, "#5"),
             PayoutPart(REFUND, D("-12.00"), D("0"), D("-10.00"), D("0"), 6, "#6")]
    check = check_payout(D("-74.00"), "USD", parts)
    assert check.summary == ("1 adjustment (-3.00)", "1 reserve (-100.00)",
                             "1 charge differing from its order (-2.00)", "1 refund differing from the hub's (-2.00)",
                             "1.00 not in its transactions (they add up to -75.00)")
    assert "charge for order #5 2.00 less than recorded" in [d.words for d in check.differences]
    assert "refund for order #6 2.00 more than recorded" in [d.words for d in check.differences]
    assert check.difference == sum(d.amount for d in check.differences)


def test_balance_types_fall_into_groups() -> None:
    assert [group_of(t) for t in ("CHARGE", "refund", "dispute", "adjustment", "reserve", "payout_failure")] == [
        CHARGE, REFUND, DISPUTE, ADJUSTMENT, RESERVE, OTHER]


cents = st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
parts = st.builds(PayoutPart, st.sampled_from([CHARGE, REFUND, DISPUTE, ADJUSTMENT, RESERVE, OTHER]), cents, cents,
                  st.none() | cents, cents, st.none() | st.integers(1, 9), st.none() | st.just("#9"))


@given(st.lists(parts, max_size=12), cents)
def test_the_causes_always_add_up_to_the_difference(payout_parts: list[PayoutPart], net: Decimal) -> None:
    check = check_payout(net, "USD", payout_parts)
    assert sum((d.amount for d in check.differences), Decimal(0)) == check.received - check.expected
    assert all(d.amount != 0 for d in check.differences)  # no cause without money
