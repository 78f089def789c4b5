"""Sign-in attempts limited per address: a guessed admin token or supplier key costs time.

A sliding window of failed attempts per client address (and per door: the admin sign-in and the
supplier portal count apart). Kept in the API process's memory: a restart forgets it, which is
fine for a limit measured in minutes; several API processes each keep their own (the limit then
multiplies by their number, still far from a brute force).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_FAILURES = 10
WINDOW_SECONDS = 600.0


class AttemptLimiter:
    """Failed attempts per key within `window` seconds; `blocked_for` says how long a key must wait."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return stamps

    def blocked_for(self, key: str) -> int:
        """Whole seconds until `key` may try again (0: it may try now)."""
        with self._lock:
            now = self.clock()
            stamps = self._recent(key, now)
            if len(stamps) < self.max_failures:
                return 0
            return max(1, int(stamps[0] + self.window - now + 0.999))

    def failed(self, key: str) -> None:
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # addresses that stopped trying: forget them
                for stale in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
                    del self._failures[stale]

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


def wait_words(seconds: int) -> str:
    minutes = (seconds + 59) // 60
    return f"Too many failed attempts from your address: try again in {minutes} minute{'s' if minutes != 1 else ''}."
