"""Store prices from landed cost and the store's pricing rules. Pure.

price = landed cost × (1 + markup %) + fixed, rounded to the chosen ending, then raised if needed
to keep the minimum margin; compare-at = price × compare-at factor, same rounding. A price that
moves more than the tolerance from what the store shows waits for a person's approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


class Rounding(StrEnum):
    NONE = "none"  # to the cent
    NINETY_NINE = ".99"
    NINETY_FIVE = ".95"
    WHOLE = "whole"


@dataclass(frozen=True, slots=True)
class PriceRule:
    markup_percent: Decimal = Decimal(100)
    fixed: Decimal = Decimal(0)
    rounding: Rounding = Rounding.NINETY_NINE
    compare_at_factor: Decimal | None = None  # e.g. 1.3: compare-at 30% above the price
    min_margin_percent: Decimal = Decimal(0)  # (price - cost) / price
    tolerance_percent: Decimal = Decimal(20)


@dataclass(frozen=True, slots=True)
class PriceDecision:
    price: Decimal
    compare_at: Decimal | None
    needs_approval: bool
    reason: str | None = None


def round_price(amount: Decimal, rounding: Rounding) -> Decimal:
    """Round *up* to the ending (never below the computed price, which would eat margin)."""
    if rounding is Rounding.NONE:
        return amount.quantize(CENT, rounding=ROUND_CEILING)
    if rounding is Rounding.WHOLE:
        return amount.quantize(Decimal(1), rounding=ROUND_CEILING)
    ending = Decimal("0.99") if rounding is Rounding.NINETY_NINE else Decimal("0.95")
    whole = amount.quantize(Decimal(1), rounding=ROUND_CEILING)
    candidate = whole - 1 + ending
    return candidate if candidate >= amount else whole + ending


def decide_price(landed_cost: Decimal, current_price: Decimal | None, rule: PriceRule) -> PriceDecision:
    if landed_cost <= 0:
        raise ValueError("landed cost must be positive")
    price = round_price(landed_cost * (1 + rule.markup_percent / 100) + rule.fixed, rule.rounding)
    if rule.min_margin_percent > 0:
        if rule.min_margin_percent >= 100:
            raise ValueError("minimum margin must be under 100%")
        floor = landed_cost / (1 - rule.min_margin_percent / 100)
        if price < floor:
            price = round_price(floor, rule.rounding)
    compare_at = None
    if rule.compare_at_factor is not None and rule.compare_at_factor > 1:
        compare_at = round_price(price * rule.compare_at_factor, rule.rounding)
    if current_price is not None and current_price > 0:
        change = abs(price - current_price) / current_price * 100
        if change > rule.tolerance_percent:
            return PriceDecision(price, compare_at, True,
                                 f"price would move {change.quantize(Decimal('0.1'), ROUND_HALF_EVEN)}% "
                                 f"({_shown(current_price)} → {price}), over the {rule.tolerance_percent}% tolerance")
    return PriceDecision(price, compare_at, False)


def _shown(amount: Decimal) -> Decimal:
    """A stored price without the storage's trailing zeros past the cents (109.7600 → 109.76)."""
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount
