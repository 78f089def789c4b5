"""What quantity a listing shows in the store, from its suppliers' stock. Pure.

Stock per offer is what the supplier has minus what the hub already holds for routed lines.
A listing either shows the stock of the first option in routing order that has any (`first`), or
the sum over its fallbacks (`sum`); a bundle option offers as many units as its scarcest part
allows. A safety buffer comes off, and anything under the minimum is published as 0, so the
store never sells the last, uncertain units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class StockMode(StrEnum):
    FIRST = "first"
    SUM = "sum"


@dataclass(frozen=True, slots=True)
class StockPart:
    available: int  # supplier stock minus held reservations
    per_unit: int = 1


@dataclass(frozen=True, slots=True)
class StockOption:
    priority: int
    parts: tuple[StockPart, ...]

    def units(self) -> int:
        if not self.parts:
            return 0
        return max(0, min(max(0, p.available) // max(1, p.per_unit) for p in self.parts))


@dataclass(frozen=True, slots=True)
class StockRule:
    mode: StockMode = StockMode.FIRST
    safety_buffer: int = 0
    minimum: int = 0  # below this, publish 0


def available_quantity(options: Sequence[StockOption], rule: StockRule) -> int:
    ordered = sorted(options, key=lambda o: o.priority)
    if rule.mode is StockMode.SUM:
        raw = sum(o.units() for o in ordered)
    else:
        raw = next((units for units in (o.units() for o in ordered) if units > 0), 0)
    quantity = max(0, raw - max(0, rule.safety_buffer))
    return 0 if quantity < rule.minimum else quantity
