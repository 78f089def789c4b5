"""connectors.http pieces that need no network: Retry-After parsing, backoff bounds, retryability."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest

from connectors.http import (
    MalformedResponse,
    RateLimited,
    RemoteRejected,
    RemoteUnavailable,
    RetryPolicy,
    excerpt,
    is_retryable,
    parse_retry_after,
    raise_for_status,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("Thu, 01 Jan 2026 12:00:10 GMT", 10.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_backoff_is_exponential_jittered_and_capped() -> None:
    policy = RetryPolicy(initial_wait=1.0, max_wait=10.0, rng=random.Random(5))
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (12, 10.0)]:
        waits = [policy.wait_for(attempt, RemoteUnavailable("x")) for _ in range(50)]
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(set(waits)) > 1  # jitter


def test_retry_after_wins_but_is_bounded() -> None:
    policy = RetryPolicy(max_retry_after=60)
    assert policy.wait_for(1, RateLimited("x", retry_after=7)) == 7
    assert policy.wait_for(1, RateLimited("x", retry_after=7200)) == 60


def test_only_transient_errors_are_retryable() -> None:
    assert is_retryable(RemoteUnavailable("x")) and is_retryable(RateLimited("x"))
    assert not is_retryable(RemoteRejected(400, None, "bad"))
    assert not is_retryable(MalformedResponse("x"))
    assert not is_retryable(ValueError("x"))


def test_call_stops_after_the_configured_attempts() -> None:
    sleeps: list[float] = []
    calls = []
    policy = RetryPolicy(attempts=3, sleep=sleeps.append)

    def failing() -> None:
        calls.append(1)
        raise RemoteUnavailable("down")

    with pytest.raises(RemoteUnavailable):
        policy.call(failing)
    assert len(calls) == 3 and len(sleeps) == 2


def test_status_mapping() -> None:
    request = httpx.Request("POST", "https://x.test/p")
    raise_for_status(httpx.Response(200, request=request))
    with pytest.raises(RateLimited):
        raise_for_status(httpx.Response(429, request=request))
    for status in (502, 503, 504):
        with pytest.raises(RemoteUnavailable):
            raise_for_status(httpx.Response(status, request=request))
    with pytest.raises(RemoteRejected) as info:
        raise_for_status(
            httpx.Response(418, text="I'm\n a   teapot", request=request, headers={"X-Request-Id": "r1"})
        )
    assert info.value.excerpt == "I'm a teapot" and info.value.request_id == "r1"


def test_excerpt_is_bounded_and_single_line() -> None:
    text = excerpt("a\n" * 500, 50)
    assert len(text) == 50 and "\n" not in text
