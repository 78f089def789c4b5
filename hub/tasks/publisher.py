"""Publishing off the request path: the API process hands its wake-ups to one thread.

A webhook's answer should not wait for the broker, and each publish costs Kombu about half a
millisecond of CPU (a client per message on Redis). The thread takes everything queued since its
last round and publishes it as few tasks as it can (one intake task for many deliveries, one
routing task for many orders), so the busier the API the more each publish carries. A wake-up
lost here (the process dies first) is found by the relay and the webhook sweep after their grace.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from hub.services import wakeups

logger = logging.getLogger(__name__)

MAX_BATCH = 500  # wake-ups per round: one intake task then processes at most this many deliveries
# A round gathers for this long after its first wake-up: at hundreds of webhooks a second one
# publish carries several, for a few milliseconds' delay (a sale still reaches its supplier in well
# under a second).
GATHER_SECONDS = 0.02


def next_round(source: queue.Queue[list[wakeups.Wakeup] | None] | queue.SimpleQueue[list[wakeups.Wakeup]],
               gather: float = 0.0) -> tuple[list[wakeups.Wakeup], bool]:
    """Wait for wake-ups, then take whatever else arrives within `gather` seconds, up to
    `MAX_BATCH`; returns them and whether a None (stop) was met."""
    first = source.get()
    if first is None:
        return [], True
    batch = list(first)
    until = time.monotonic() + gather
    while len(batch) < MAX_BATCH:
        try:
            more = source.get(timeout=max(0.0, until - time.monotonic())) if gather else source.get_nowait()
        except queue.Empty:
            break
        if more is None:
            return batch, True
        batch.extend(more)
    return batch, False


class BackgroundPublisher:
    """A `wakeups` publisher that queues and returns at once; a daemon thread publishes."""

    def __init__(self, publish: Callable[[list[wakeups.Wakeup]], None]) -> None:
        self._publish = publish
        self._queue: queue.SimpleQueue[list[wakeups.Wakeup]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hub-publisher", daemon=True)
        self._thread.start()

    def __call__(self, pending: list[wakeups.Wakeup]) -> None:
        self._queue.put(list(pending))

    def _run(self) -> None:
        while True:
            batch, _ = next_round(self._queue, GATHER_SECONDS)
            try:
                self._publish(batch)
            except Exception as exc:  # the broker is down: the relay and the sweeps make up for it
                logger.warning("publishing wake-ups failed", extra={"wakeups": len(batch),
                                                                    "error": type(exc).__name__})
