"""A sandbox shop that keeps its state in a file, so `hub run --sandbox` stopped and started again
goes on where it was: no order id, order number or webhook id handed out twice, no order lost or
reverted, queued webhooks still delivered.

Every change is saved before anyone can see it: a mutation before its answer leaves, new orders
before their webhooks are sent. A kill at any moment therefore loses nothing that the hub saw.
A state file that cannot be read is set aside with one log line and the shop starts afresh with
ids taken from the clock, above any that a previous run handed out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from connectors.shopify.sandbox import data as d
from connectors.shopify.sandbox import snapshot
from connectors.shopify.sandbox.config import SandboxConfig
from connectors.shopify.sandbox.server import Reply, SandboxShopify
from connectors.statefile import CorruptState, StateFile, time_based_id

logger = logging.getLogger(__name__)

KIND = "sandbox-shop"


class DurableSandboxShopify(SandboxShopify):
    """`SandboxShopify` whose records, webhook queue and webhook-id sequence live in `path`.

    known_to_hub: the hub already holds orders of this shop, so when there is no usable state the
    shop starts without seeded history, its ids from the clock and its order numbers after
    `number_floor` (the highest the hub has seen), so nothing the hub knows is reused.
    """

    def __init__(self, config: SandboxConfig, path: Path, *, known_to_hub: bool = False, number_floor: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.state_file = StateFile(path, KIND)
        self._sending: list[httpx.Request] = []
        problem: str | None = None
        try:
            state = self.state_file.read()
        except CorruptState as exc:
            state, problem = None, str(exc)
        fresh = state is None and problem is None and not known_to_hub
        super().__init__(config if fresh else replace(config, orders=0), clock=clock, now=now, sleep=sleep)
        self.config = self.data.config = config
        if state is not None:
            try:
                self._restore(state)
            except (KeyError, IndexError, TypeError, ValueError, ArithmeticError) as exc:
                problem = f"{path}: malformed state ({type(exc).__name__}: {exc})"
                self.data = d.ShopData(replace(config, orders=0))
                self.data.config = config
                self._outbox = []
        if problem is not None:
            aside = self.state_file.set_aside()
            logger.warning("sandbox shop state unreadable, starting a fresh shop with new ids: %s%s",
                           problem, f" (kept as {aside})" if aside else "")
        if problem is not None or (state is None and known_to_hub):
            self.data.continue_after(time_based_id(), number_floor)
            self._rng.seed(time.time_ns())
        self.save()

    # -- the file ------------------------------------------------------------------------------

    def save(self) -> None:
        """Write the state if it changed (atomically; under the lock, so it is one moment's state)."""
        with self._lock:
            self.state_file.write(self._snapshot())

    def _snapshot(self) -> dict[str, Any]:
        sending = [] if self._sending is self._outbox else self._sending
        queued = sending + [r for r in self._outbox if all(r is not s for s in sending)]
        return {
            "shop": snapshot.dump(self.data),
            "webhook_rng": snapshot.rng_state(self._rng),
            "webhooks_queued": [{"url": str(r.url), "headers": dict(r.headers), "body": r.content.decode()}
                                for r in queued],
        }

    def _restore(self, state: dict[str, Any]) -> None:
        snapshot.load(self.data, state["shop"])
        snapshot.set_rng_state(self._rng, state["webhook_rng"])
        self._outbox = [httpx.Request("POST", str(w["url"]), headers=dict(w["headers"]), content=str(w["body"]))
                        for w in state["webhooks_queued"]]

    def move_webhooks(self, callback_url: str) -> None:
        """The hub now listens at `callback_url` (a new port): every subscription and every queued
        webhook goes there, one subscription per topic."""
        with self._lock:
            topics: dict[str, d.WebhookSubscription] = {}
            for subscription in self.data.webhooks:
                subscription.callback_url = callback_url
                topics.setdefault(subscription.topic, subscription)
            self.data.webhooks = list(topics.values())
            self._outbox = [httpx.Request("POST", callback_url, headers=r.headers, content=r.content)
                            for r in self._outbox]
            self.save()

    # -- every public change, saved before it is seen --------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        reply = super().handle(method, path, headers, body)
        if b"mutation" in body:  # queries change nothing worth keeping (the cost bucket refills anyway)
            self.save()
        return reply

    def create_orders(self, count: int, at: datetime | None = None) -> list[d.Order]:
        with self._lock:
            created = super().create_orders(count, at)
            self.save()
        return created

    def refund_order(self, order: d.Order, at: datetime | None = None, items: Sequence[tuple[d.Line, int]] = (),
                     shipping: bool = False, adjustment: Decimal = Decimal("0.00")) -> d.Refund:
        with self._lock:
            record = super().refund_order(order, at, items, shipping, adjustment)
            self.save()
        return record

    def cancel_order(self, order: d.Order, at: datetime | None = None) -> d.Refund | None:
        with self._lock:
            record = super().cancel_order(order, at)
            self.save()
        return record

    def settle_payouts(self, at: datetime | None = None) -> None:
        with self._lock:
            super().settle_payouts(at)
            self.save()

    def deliver_webhooks(self, client: httpx.Client) -> list[httpx.Response]:
        """Webhooks in flight stay in the file until they were answered: a kill mid-send resends them
        with their webhook ids (the hub drops the repeats), it never loses them."""
        with self._lock:
            if not self._outbox:  # nothing to send, nothing changes: no state written (every tick, every shop)
                return []
            # The very list the base class takes out next (appended to until then), not a copy.
            self._sending = self._outbox
        try:
            return super().deliver_webhooks(client)
        finally:
            with self._lock:
                self._sending = []
                self.save()
