"""The background prefetch keeps order, re-raises the producer's error, and stops when closed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hub.services.prefetch import prefetch


def test_order_and_errors() -> None:
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("bad feed")

    got = []
    with pytest.raises(ValueError, match="bad feed"):
        for item in prefetch(broken()):
            got.append(item)
    assert got == [1]


def test_closing_early_stops_the_producer() -> None:
    produced = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    before = threading.active_count()
    items = prefetch(endless(), depth=2)
    assert next(items) == 0
    items.close()
    assert threading.active_count() == before and len(produced) < 10
