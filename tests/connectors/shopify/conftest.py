"""Fixtures for the Shopify connector tests: ../shared test data, fast retry policy, fake clock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from connectors.http import RetryPolicy
from connectors.shopify.budget import CostBudget

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared"


def shared_dir() -> Path:
    """../shared from the repository root, or skip the test saying why."""
    if not (SHARED / "shopify").is_dir():
        pytest.skip(f"../shared is absent: Shopify schemas and samples are expected at {SHARED.resolve()}")
    return SHARED


class FakeClock:
    """A monotonic clock that only moves when told (or when `sleep` is called)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def policy(sleeps: list[float]) -> RetryPolicy:
    """Retries that record their waits instead of sleeping."""
    import random

    return RetryPolicy(attempts=4, initial_wait=0.5, max_wait=8.0, sleep=sleeps.append, rng=random.Random(1))


@pytest.fixture
def budget(clock: FakeClock) -> CostBudget:
    return CostBudget(2000, 100, clock=clock, sleep=clock.sleep)
