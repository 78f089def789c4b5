"""The client-side cost budget: pacing maths, re-anchoring on throttleStatus, threads."""

from __future__ import annotations

import threading

import pytest

from connectors.shopify.budget import CostBudget, QueryCost, ThrottleStatus, budget_for
from tests.connectors.shopify.conftest import FakeClock


def status(
    available: float,
    maximum: float = 2000,
    rate: float = 100,
    requested: float = 10,
    actual: float | None = 10,
) -> QueryCost:
    return QueryCost(requested, actual, ThrottleStatus(maximum, available, rate))


def test_reserve_within_budget_does_not_wait() -> None:
    clock = FakeClock()
    budget = CostBudget(2000, 100, clock=clock, sleep=clock.sleep)
    assert budget.reserve(1500).waited == 0
    assert clock.sleeps == []
    assert budget.available == pytest.approx(500)


def test_reserve_waits_exactly_for_the_missing_points() -> None:
    clock = FakeClock()
    budget = CostBudget(2000, 100, clock=clock, sleep=clock.sleep)
    first = budget.reserve(10)
    budget.observe(first, status(available=100))
    budget.reserve(600)
    assert clock.sleeps == [pytest.approx(5.01)]  # (600 - 100 + 1 to spare) / 100 per s


def test_observe_learns_the_plan_from_throttle_status() -> None:
    clock = FakeClock()
    budget = CostBudget(clock=clock, sleep=clock.sleep)  # assumes 1000 / 50 until told
    reservation = budget.reserve(10)
    budget.observe(reservation, status(available=19_990, maximum=20_000, rate=1000))
    assert budget.maximum == 20_000 and budget.restore_rate == 1000
    budget.reserve(19_990)
    assert clock.sleeps == []


def test_refill_is_capped_at_the_maximum() -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    budget.reserve(1000)
    clock.advance(3600)
    assert budget.available == 1000


def test_actual_cost_below_requested_is_refunded_without_throttle_status() -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    reservation = budget.reserve(900)
    budget.observe(reservation, QueryCost(900, 100, None))
    assert budget.available == pytest.approx(900)


def test_failed_request_keeps_its_reservation_spent() -> None:
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    budget.observe(budget.reserve(400), None)
    assert budget.available == pytest.approx(600)


def test_in_flight_reservations_are_subtracted_from_the_server_figure() -> None:
    clock = FakeClock()
    budget = CostBudget(2000, 100, clock=clock, sleep=clock.sleep)
    mine = budget.reserve(100)
    budget.reserve(300)  # another thread's call, not yet seen by the server
    budget.observe(mine, status(available=1900))
    assert budget.available == pytest.approx(1600)


def test_concurrent_callers_queue_on_one_budget() -> None:
    clock = FakeClock()
    clock.sleep = lambda seconds: clock.sleeps.append(seconds)  # type: ignore[method-assign]
    budget = CostBudget(1000, 100, clock=clock, sleep=clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        waited = budget.reserve(400).waited
        with lock:
            waits.append(waited)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == [0, 0, pytest.approx(2.01), pytest.approx(6.01), pytest.approx(10.01)]


def test_registry_gives_one_budget_per_shop() -> None:
    assert budget_for("A-Shop.myshopify.com") is budget_for("a-shop.myshopify.com")
    assert budget_for("a-shop.myshopify.com") is not budget_for("b-shop.myshopify.com")


@pytest.mark.parametrize(
    "extensions",
    [None, {}, {"cost": "x"}, {"cost": {"requestedQueryCost": "a"}}, {"cost": {"requestedQueryCost": True}}],
)
def test_query_cost_parse_tolerates_garbage(extensions: object) -> None:
    assert QueryCost.parse(extensions) is None


def test_query_cost_parse_reads_shopify_extension() -> None:
    parsed = QueryCost.parse(
        {
            "cost": {
                "requestedQueryCost": 52,
                "actualQueryCost": 12,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 1988,
                    "restoreRate": 100.0,
                },
            }
        }
    )
    assert parsed == QueryCost(52, 12, ThrottleStatus(2000, 1988, 100))


def test_a_stale_status_observed_last_never_counts_a_charged_call_as_unspent() -> None:
    """Two calls in flight; the server charges A then B, but B's answer is observed first.

    A's (older) status says 900 left while the server holds 800: taking it as the truth would let
    the next call through on points that are gone.
    """
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    a, b = budget.reserve(100), budget.reserve(100)
    budget.observe(b, status(available=800, maximum=1000, rate=50, requested=100, actual=100))
    budget.observe(a, status(available=900, maximum=1000, rate=50, requested=100, actual=100))
    assert budget.available <= 800


def test_a_status_that_says_less_lowers_the_estimate() -> None:
    """Another process spends from the same shop's bucket: the server's figure wins when lower."""
    clock = FakeClock()
    budget = CostBudget(1000, 50, clock=clock, sleep=clock.sleep)
    budget.observe(budget.reserve(100), status(available=300, maximum=1000, rate=50, requested=100, actual=100))
    assert budget.available == 300
