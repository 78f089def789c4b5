"""A payout checked against the hub's books: what the orders it covers should have paid out
(their ledger facts, net of fees and refunds) against what arrived, and every cent of the
difference given a cause in words. Pure: the caller reads the payout and the ledger.

The causes always add up to the difference exactly (property-tested), so a payout is either
explained in full or shows what is left as "not in its transactions".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from hub.domain.money import format_amount

CHARGE, REFUND, DISPUTE, ADJUSTMENT, RESERVE, OTHER = "charge", "refund", "dispute", "adjustment", "reserve", "other"
_GROUPS = {"charge": CHARGE, "sale": CHARGE, "payment": CHARGE, "refund": REFUND, "dispute": DISPUTE,
           "chargeback": DISPUTE, "dispute_reversal": DISPUTE, "adjustment": ADJUSTMENT, "reserve": RESERVE,
           "reserved_funds": RESERVE, "advance": RESERVE}


def group_of(balance_type: str) -> str:
    """The payout transaction's type as one of the groups the check knows."""
    return _GROUPS.get(balance_type.strip().lower(), OTHER)


@dataclass(frozen=True, slots=True)
class PayoutPart:
    """A payout's transactions of one group for one order (or none), against the hub's record.

    Amounts as the payout has them: money in positive, a refund negative, a fee positive when
    taken. `recorded_amount` None: the hub has no fact for it (then the part is all difference)."""

    group: str
    amount: Decimal
    fee: Decimal
    recorded_amount: Decimal | None
    recorded_fee: Decimal = Decimal(0)
    order_id: int | None = None
    order_name: str | None = None
    count: int = 1

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee

    @property
    def expected(self) -> Decimal:
        return Decimal(0) if self.recorded_amount is None else self.recorded_amount - self.recorded_fee


@dataclass(frozen=True, slots=True)
class Difference:
    """One cause of a difference: `amount` is received minus expected for it."""

    cause: str
    amount: Decimal
    words: str
    order_id: int | None = None
    order_name: str | None = None


@dataclass(frozen=True, slots=True)
class PayoutCheck:
    currency: str
    expected: Decimal
    received: Decimal
    differences: tuple[Difference, ...]
    summary: tuple[str, ...]  # the causes added up, one phrase each ("2 refunds not in the hub")

    @property
    def difference(self) -> Decimal:
        return self.received - self.expected


def _m(amount: Decimal, currency: str) -> str:
    return format_amount(amount, currency)


def _missing(part: PayoutPart, currency: str) -> Difference:
    where = f" for order {part.order_name}" if part.order_name else ""
    words = {
        CHARGE: ("missing_charge", f"charge of {_m(part.amount, currency)}{where} not in the hub"),
        REFUND: ("missing_refund", f"refund of {_m(-part.amount, currency)}{where} not in the hub"),
        DISPUTE: ("missing_dispute", f"chargeback of {_m(-part.amount, currency)}{where} not in the hub"),
        ADJUSTMENT: ("adjustment", f"adjustment of {_m(part.net, currency)}{where}"),
        RESERVE: ("reserve", f"reserve of {_m(part.net, currency)}{where}"),
    }.get(part.group, ("other", f"{part.group} of {_m(part.net, currency)}{where}"))
    return Difference(words[0], part.net, words[1], part.order_id, part.order_name)


def _compared(part: PayoutPart, currency: str) -> list[Difference]:
    out: list[Difference] = []
    recorded = part.recorded_amount or Decimal(0)
    where = f"order {part.order_name}" if part.order_name else "an order"
    off = part.amount - recorded
    if off:
        what = {CHARGE: "charge", REFUND: "refund", DISPUTE: "chargeback"}.get(part.group, part.group)
        # For money out (refunds, chargebacks), a larger amount is a more negative one.
        larger = off > 0 if recorded >= 0 and part.amount >= 0 else off < 0
        out.append(Difference(f"{part.group}_amount", off,
                              f"{what} for {where} {_m(abs(off), currency)} {'more' if larger else 'less'} "
                              f"than recorded", part.order_id, part.order_name))
    fee_off = part.recorded_fee - part.fee  # a higher fee taken means less received
    if fee_off:
        out.append(Difference("fee_higher" if fee_off < 0 else "fee_lower", fee_off,
                              f"fee for {where} {_m(abs(fee_off), currency)} "
                              f"{'higher' if fee_off < 0 else 'lower'} than recorded", part.order_id, part.order_name))
    return out


_SUMMARY = {
    "missing_charge": ("charge not in the hub", "charges not in the hub"),
    "missing_refund": ("refund not in the hub", "refunds not in the hub"),
    "missing_dispute": ("chargeback not in the hub", "chargebacks not in the hub"),
    "adjustment": ("adjustment", "adjustments"),
    "reserve": ("reserve", "reserves"),
    "other": ("other transaction", "other transactions"),
    "charge_amount": ("charge differing from its order", "charges differing from their orders"),
    "refund_amount": ("refund differing from the hub's", "refunds differing from the hub's"),
    "dispute_amount": ("chargeback differing from the hub's", "chargebacks differing from the hub's"),
}


def _summary(differences: Sequence[Difference], currency: str) -> tuple[str, ...]:
    phrases: list[str] = []
    for cause in dict.fromkeys(d.cause for d in differences):
        same = [d for d in differences if d.cause == cause]
        total = sum((d.amount for d in same), Decimal(0))
        if cause in ("fee_higher", "fee_lower"):
            word = "higher" if cause == "fee_higher" else "lower"
            fees = "fee" if len(same) == 1 else f"fees on {len(same)} orders"
            phrases.append(f"{fees} {_m(abs(total), currency)} {word} than recorded")
        elif cause == "unlisted":
            phrases.append(same[0].words)
        else:
            one, many = _SUMMARY.get(cause, (cause.replace("_", " "), cause.replace("_", " ")))
            phrases.append(f"{len(same)} {one if len(same) == 1 else many} ({_m(total, currency)})")
    return tuple(phrases)


def check_payout(net: Decimal, currency: str, parts: Sequence[PayoutPart]) -> PayoutCheck:
    """Expected (the hub's facts of the parts) against received (the payout's net), explained."""
    differences: list[Difference] = []
    for part in parts:
        if part.recorded_amount is None:
            differences += [_missing(part, currency)] if part.net else []
        else:
            differences += _compared(part, currency)
    listed = sum((p.net for p in parts), Decimal(0))
    if net != listed:
        differences.append(Difference("unlisted", net - listed,
                                      f"{_m(net - listed, currency)} not in its transactions (they add up to "
                                      f"{_m(listed, currency)})"))
    expected = sum((p.expected for p in parts), Decimal(0))
    return PayoutCheck(currency, expected, net, tuple(differences), _summary(differences, currency))
