"""Client-side estimate of Shopify's per-shop query-cost bucket, shared by every thread.

Shopify meters GraphQL by points: each app has, per shop, a bucket of `maximumAvailable` points
refilled at `restoreRate` per second; a query whose *requested* cost exceeds what is available is
refused as THROTTLED, and the *actual* cost is what gets charged. Pacing on our side (wait until
the estimate covers the requested cost, then go) keeps the bucket from running dry instead of
bouncing off throttles, and one `CostBudget` per shop makes every client of that shop share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Until the first response tells us the shop's plan, assume the smallest bucket Shopify sells.
DEFAULT_MAXIMUM = 1000.0
DEFAULT_RESTORE_RATE = 50.0
# A wait ends with this many points to spare: a wait computed to the exact boundary lands a hair
# short of it as often as not (float time, the server's clock), and Shopify refuses a hair short.
SAFETY_POINTS = 1.0


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float


@dataclass(frozen=True, slots=True)
class QueryCost:
    """`extensions.cost` of one response."""

    requested: float
    actual: float | None
    throttle: ThrottleStatus | None

    @classmethod
    def parse(cls, extensions: object) -> QueryCost | None:
        """Read `extensions.cost`; None when absent or not numbers (never raises)."""
        if not isinstance(extensions, Mapping):
            return None
        cost = extensions.get("cost")
        if not isinstance(cost, Mapping):
            return None
        try:
            requested = _number(cost.get("requestedQueryCost"))
            if requested is None:
                return None
            status = cost.get("throttleStatus")
            throttle = None
            if isinstance(status, Mapping):
                values = [
                    _number(status.get(k)) for k in ("maximumAvailable", "currentlyAvailable", "restoreRate")
                ]
                if None not in values:
                    throttle = ThrottleStatus(*(float(v) for v in values if v is not None))
            return cls(requested, _number(cost.get("actualQueryCost")), throttle)
        except (TypeError, ValueError):
            return None

    def note(self) -> str:
        actual = "-" if self.actual is None else f"{self.actual:g}"
        text = f"{actual}/{self.requested:g}"
        if self.throttle:
            text += f" left {self.throttle.currently_available:g}/{self.throttle.maximum_available:g}"
        return text


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    raise TypeError(f"not a number: {value!r}")


@dataclass(frozen=True, slots=True)
class Reservation:
    cost: float
    waited: float


class CostBudget:
    """A leaky-bucket estimate: `reserve(C)` blocks until C points are (estimated) available.

    Reservations are taken first-come first-served under a lock and the caller sleeps outside it,
    so concurrent callers queue instead of stampeding. `observe` refunds what a call was charged
    less than it reserved, and lowers the estimate to the server's `throttleStatus` (minus what
    other callers have reserved but not settled) when that says less: other processes or apps
    spend from the same bucket.
    """

    def __init__(
        self,
        maximum: float = DEFAULT_MAXIMUM,
        restore_rate: float = DEFAULT_RESTORE_RATE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.maximum = maximum
        self.restore_rate = restore_rate
        self._available = maximum
        self._stamp = clock()
        self._in_flight = 0.0

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._stamp)
        self._available = min(self.maximum, self._available + elapsed * self.restore_rate)
        self._stamp = now

    @property
    def available(self) -> float:
        with self._lock:
            self._refill(self._clock())
            return self._available

    def reserve(self, cost: float) -> Reservation:
        """Take `cost` points, sleeping first for as long as the estimate says the bucket lacks them."""
        with self._lock:
            self._refill(self._clock())
            cost = min(max(cost, 0.0), self.maximum)
            self._available -= cost
            self._in_flight += cost
            wait = (SAFETY_POINTS - self._available) / self.restore_rate if self._available < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return Reservation(cost, wait)

    def observe(self, reservation: Reservation, cost: QueryCost | None) -> None:
        """Settle a reservation with the server's figures (or keep it spent if there are none)."""
        with self._lock:
            self._in_flight = max(0.0, self._in_flight - reservation.cost)
            now = self._clock()
            self._refill(now)
            if cost is None:
                return
            if cost.actual is not None:
                self._available = min(self.maximum, self._available + reservation.cost - cost.actual)
            if cost.throttle is not None:
                status = cost.throttle
                server_view = status.currently_available - self._in_flight
                if status.maximum_available != self.maximum:  # the shop's plan, learned (or changed)
                    self._available = server_view
                else:
                    # Otherwise the server's figure only lowers the estimate: responses of concurrent
                    # calls are observed in any order, and an older status taken as the truth would
                    # count a call charged after it as unspent (the next call would be THROTTLED).
                    # Our own accounting (refill, reservations, refunds) raises it.
                    self._available = min(self._available, server_view)
                self.maximum = status.maximum_available
                self.restore_rate = max(status.restore_rate, 1e-6)
                self._available = min(self.maximum, self._available)


_registry: dict[str, CostBudget] = {}
_registry_lock = threading.Lock()


def budget_for(shop_key: str) -> CostBudget:
    """The process-wide budget of one shop (the key is the shop's domain, lower case)."""
    key = shop_key.lower()
    with _registry_lock:
        budget = _registry.get(key)
        if budget is None:
            budget = _registry[key] = CostBudget()
        return budget
