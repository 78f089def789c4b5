"""The sign-in limiter: failures per address in a sliding window, on an injected clock."""

from __future__ import annotations

from hub.api.signin_limit import AttemptLimiter, wait_words


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ten_failures_block_the_address_until_the_first_leaves_the_window() -> None:
    clock = Clock()
    limiter = AttemptLimiter(max_failures=10, window=600, clock=clock)
    for _ in range(9):
        limiter.failed("1.2.3.4")
        clock.now += 1
    assert limiter.blocked_for("1.2.3.4") == 0
    limiter.failed("1.2.3.4")
    assert limiter.blocked_for("1.2.3.4") == 591  # the first failure (t=1000) leaves at t=1600
    assert limiter.blocked_for("5.6.7.8") == 0  # another address is not held back
    clock.now = 1600.5
    assert limiter.blocked_for("1.2.3.4") == 0


def test_a_success_forgets_the_failures() -> None:
    clock = Clock()
    limiter = AttemptLimiter(max_failures=2, window=60, clock=clock)
    limiter.failed("a")
    limiter.succeeded("a")
    limiter.failed("a")
    assert limiter.blocked_for("a") == 0


def test_wait_words() -> None:
    assert wait_words(30) == "Too many failed attempts from your address: try again in 1 minute."
    assert wait_words(591).endswith("in 10 minutes.")
