"""Run an iterator in a background thread, a few items ahead of its consumer.

Why: a feed import alternates parsing (Python, holds the GIL) and writing (the database driver,
which releases the GIL while SQLite steps or PostgreSQL answers). Parsing the next chunk while
the current one is written overlaps the two on a second core.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class _Raised:
    error: BaseException


_END = object()


def prefetch(items: Iterator[T], depth: int = 2, name: str = "prefetch") -> Iterator[T]:
    """Yield `items`, produced by a daemon thread at most `depth` ahead; its exceptions re-raise here.

    Closing the returned generator early stops the producer after its current item.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                slots.put(item)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            slots.put(_Raised(exc))
        else:
            slots.put(_END)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _END:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        thread.join()
