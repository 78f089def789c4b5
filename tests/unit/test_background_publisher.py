"""The API's publishing thread: what is queued while it publishes goes out together in its next
round, and a broker failure costs that round only, not the thread."""

from __future__ import annotations

import threading

from hub.services import wakeups
from hub.tasks.publisher import BackgroundPublisher


def test_wakeups_queued_during_a_publish_go_out_together_and_a_failure_does_not_stop_the_thread() -> None:
    rounds: list[list[wakeups.Wakeup]] = []
    first_started, release_first, done = threading.Event(), threading.Event(), threading.Event()

    def publish(batch: list[wakeups.Wakeup]) -> None:
        rounds.append(batch)
        if len(rounds) == 1:
            first_started.set()
            release_first.wait(10)
            raise ConnectionError("broker down")
        done.set()

    publisher = BackgroundPublisher(publish)
    publisher([("delivery", (1,))])
    assert first_started.wait(10)
    publisher([("delivery", (2,))])  # the thread is busy: these queue up
    publisher([("delivery", (3,)), ("orders", (9,))])
    release_first.set()
    assert done.wait(10)
    assert rounds == [[("delivery", (1,))], [("delivery", (2,)), ("delivery", (3,)), ("orders", (9,))]]
