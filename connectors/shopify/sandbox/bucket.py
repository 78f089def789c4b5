"""The sandbox's leaky bucket: Shopify's per-app, per-shop query-cost limiter."""

from __future__ import annotations

from collections.abc import Callable


class LeakyBucket:
    """`size` points, refilled at `rate` per second of the injected clock. Not locked: the
    sandbox calls it under its own state lock."""

    def __init__(self, size: float, rate: float, clock: Callable[[], float]) -> None:
        self.size = size
        self.rate = rate
        self._clock = clock
        self._available = size
        self._stamp = clock()

    def available(self) -> float:
        now = self._clock()
        self._available = min(self.size, self._available + (now - self._stamp) * self.rate)
        self._stamp = now
        return self._available

    def spend(self, points: float) -> None:
        self.available()
        self._available -= points

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": float(self.size),
            "currentlyAvailable": float(int(self.available())),
            "restoreRate": float(self.rate),
        }
