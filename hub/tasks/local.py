"""Without a broker: the same wake-ups, run by two threads of `hub run` itself.

The embedded default (`make run`, SQLite) acknowledges a webhook once it is stored, like the
Celery mode, and works in the background: one lane takes stored deliveries and new orders
(intake, then routing), the other the outbox's remote calls (placing at suppliers, fulfilling at
the store), so a slow supplier never holds up intake. Each lane drains everything queued since its
last round. The periodic jobs stay the safety net: a wake-up lost with the process (or dropped
while a lane is full) is found by the webhook sweep, the routing job and the outbox dispatch.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING

from hub.services import wakeups
from hub.tasks.publisher import next_round

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

MAX_QUEUED = 10_000  # rounds waiting in a lane; past that, wake-ups are left to the periodic jobs


class LocalPump:
    """A `wakeups` publisher for one process: queue, return at once, work in two lanes."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._work: queue.Queue[list[wakeups.Wakeup] | None] = queue.Queue(MAX_QUEUED)
        self._calls: queue.Queue[list[wakeups.Wakeup] | None] = queue.Queue(MAX_QUEUED)
        self._threads = [threading.Thread(target=self._run, args=(lane,), name=name, daemon=True)
                         for name, lane in (("hub-intake", self._work), ("hub-calls", self._calls))]
        for thread in self._threads:
            thread.start()

    def close(self, timeout: float = 10) -> None:
        """Stop both lanes once they have finished what is queued."""
        for lane in (self._work, self._calls):
            lane.put(None)
        for thread in self._threads:
            thread.join(timeout)

    def __call__(self, pending: list[wakeups.Wakeup]) -> None:
        calls = [wakeup for wakeup in pending if wakeup[0] == wakeups.OUTBOX]
        work = [wakeup for wakeup in pending if wakeup[0] != wakeups.OUTBOX]
        for lane, items in ((self._work, work), (self._calls, calls)):
            if items:
                try:
                    lane.put_nowait(items)
                except queue.Full:
                    logger.warning("background lane full; the periodic jobs will pick these up",
                                   extra={"wakeups": len(items)})

    def _run(self, lane: queue.Queue[list[wakeups.Wakeup] | None]) -> None:
        stopping = False
        while not stopping:
            batch, stopping = next_round(lane)
            if not batch:
                continue
            try:
                self.run(batch)
            except Exception:  # a bug must not stop the lane: the periodic jobs retry what it left
                logger.exception("background work failed; the periodic jobs will retry it")

    def run(self, batch: list[wakeups.Wakeup]) -> None:
        """Run one round: deliveries first (their commits queue the orders for the next round),
        then orders, then outbox messages, each in id order."""
        from hub.services import outbox, routing, webhooks

        deliveries = sorted({int(str(args[0])) for kind, args in batch if kind == wakeups.DELIVERY})
        orders = sorted({int(str(order_id)) for kind, args in batch if kind == wakeups.ORDERS for order_id in args})
        messages = sorted({int(str(args[0])) for kind, args in batch if kind == wakeups.OUTBOX})
        webhooks.process_many(self.hub, deliveries)
        for order_id in orders:
            routing.react_to_orders(self.hub, [order_id])
            self.hub.db.yield_to_writers()
        for message_id in messages:
            outbox.deliver(self.hub, message_id, due_only=True)


def install(hub: Hub) -> LocalPump:
    """From now on, what commits in this process is worked on by this process's lanes."""
    pump = LocalPump(hub)
    wakeups.set_publisher(pump)
    return pump
