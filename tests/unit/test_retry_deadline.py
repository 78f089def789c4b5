"""A handler's own retries end before its outbox lease does: `retries_until` bounds RetryPolicy."""

from __future__ import annotations

import pytest

import connectors.http as http
from connectors.http import RemoteUnavailable, RetryPolicy, retries_until


class _Low:
    """Jitter fixed at the low end of its range, so each wait is exactly half the ceiling."""

    @staticmethod
    def uniform(low: float, _high: float) -> float:
        return low


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(http, "clock", lambda: now[0])
    return now


def _attempts(now: list[float], attempts: int = 10) -> list[float]:
    """Run a policy that always fails; returns the (fake) times at which attempts began."""
    began: list[float] = []

    def fail() -> None:
        began.append(now[0])
        raise RemoteUnavailable("down")

    def sleep(seconds: float) -> None:
        now[0] += seconds

    policy = RetryPolicy(attempts=attempts, initial_wait=20, max_wait=20, sleep=sleep, rng=_Low())  # type: ignore[arg-type]
    with pytest.raises(RemoteUnavailable):
        policy.call(fail)
    return began


def test_without_a_deadline_every_attempt_is_made(fake_clock: list[float]) -> None:
    assert len(_attempts(fake_clock, attempts=4)) == 4


def test_a_passed_deadline_leaves_one_attempt(fake_clock: list[float]) -> None:
    with retries_until(fake_clock[0] - 1):
        assert _attempts(fake_clock) == [1000.0]


def test_no_retry_begins_at_or_after_the_deadline(fake_clock: list[float]) -> None:
    """Waits of 10 s against a deadline 25 s away: attempts at 0, 10 and 20 s, none at 30 s."""
    with retries_until(fake_clock[0] + 25):
        assert _attempts(fake_clock) == [1000.0, 1010.0, 1020.0]
