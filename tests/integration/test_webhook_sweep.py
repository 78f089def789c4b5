"""The webhook sweep on both backends: fair order, poisoned deliveries recorded and skipped,
passing failures retried with backoff and given up after a bounded number of attempts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import Order, WebhookDelivery
from hub.services import webhooks as webhook_service
from tests.webhook_payloads import HOSTILE, body_of, connect_store, signed, valid_order

MAX_ATTEMPTS = 5  # README: a delivery failing for a passing reason is given up after 5 attempts


def _store(hub: Hub, body: bytes, webhook_id: str) -> int:
    """Verified and stored, not processed: what a crash right after the answer leaves behind."""
    headers = {k.lower(): v for k, v in signed(body, webhook_id).items()}
    receipt = webhook_service.receive(hub, "shopify", headers, body)
    assert receipt.delivery_id is not None, receipt
    return receipt.delivery_id


def _state(hub: Hub) -> dict[str, tuple[str, int, str | None]]:
    with hub.db.transaction() as session:
        rows = session.execute(select(WebhookDelivery.webhook_id, WebhookDelivery.status,
                                      WebhookDelivery.attempts, WebhookDelivery.error))
        return {w: (s, a, e) for w, s, a, e in rows}


def _order_ids(hub: Hub) -> set[str]:
    with hub.db.transaction() as session:
        return set(session.execute(select(Order.external_id)).scalars())


def test_the_sweep_processes_good_deliveries_that_sit_behind_poisoned_ones(hub: Hub) -> None:
    connect_store(hub)
    poisoned = [case for case in HOSTILE if case.raw is None][:8]
    for index, case in enumerate(poisoned):  # the oldest deliveries are all poisoned
        _store(hub, body_of(case, 100 + index), f"bad-{index}")
    for order_id in (201, 202, 203):
        _store(hub, json.dumps(valid_order(order_id)).encode(), f"good-{order_id}")
    counts = webhook_service.process_pending(hub)
    assert counts.get("error") == len(poisoned) and counts.get("created") == 3, counts
    state = _state(hub)
    assert all(state[f"bad-{i}"][0] == "error" and state[f"bad-{i}"][2] for i in range(len(poisoned)))
    assert all(state[f"good-{i}"][0] == "processed" for i in (201, 202, 203))
    assert _order_ids(hub) == {"201", "202", "203"}
    assert webhook_service.process_pending(hub) == {}  # nothing is picked again


def test_a_failure_that_may_pass_backs_off_lets_others_by_and_gives_up_after_max_attempts(
        hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    connect_store(hub)
    real_ingest = webhook_service.ingest

    def locked_for_51(session: Any, store_id: int, orders: Any, source: str) -> Any:
        if orders[0].external_id == "51":
            raise OperationalError("INSERT INTO orders …", {}, Exception("database is locked"))
        return real_ingest(session, store_id, orders, source)

    monkeypatch.setattr(webhook_service, "ingest", locked_for_51)
    _store(hub, json.dumps(valid_order(51)).encode(), "w-51")
    _store(hub, json.dumps(valid_order(52)).encode(), "w-52")
    now = utcnow()
    assert webhook_service.process_pending(hub, limit=1, now=now) == {"retry": 1}
    assert _state(hub)["w-51"][:2] == ("received", 1)
    # 51 waits for its backoff: the next sweep takes the delivery behind it
    assert webhook_service.process_pending(hub, limit=1, now=now) == {"created": 1}
    assert _state(hub)["w-52"][0] == "processed"
    outcomes = [webhook_service.process_pending(hub, limit=1, now=now + timedelta(hours=2 * step))
                for step in range(1, 6)]
    assert outcomes == [{"retry": 1}, {"retry": 1}, {"retry": 1}, {"error": 1}, {}]
    status, attempts, error = _state(hub)["w-51"]
    assert (status, attempts) == ("error", MAX_ATTEMPTS)
    assert error is not None and "gave up after 5 attempts" in error and "database is locked" in error
    assert "INSERT" not in error  # the statement (and its parameters) stay out of the reason
    assert _order_ids(hub) == {"52"}


def test_a_delivery_left_processing_by_a_dead_process_is_requeued_or_given_up(hub: Hub) -> None:
    connect_store(hub)
    crashed = _store(hub, json.dumps(valid_order(61)).encode(), "w-61")
    crash_loop = _store(hub, json.dumps(valid_order(62)).encode(), "w-62")
    fresh = _store(hub, json.dumps(valid_order(63)).encode(), "w-63")
    now = utcnow()
    with hub.db.transaction() as session:
        for delivery_id, attempts, claimed in ((crashed, 1, now - timedelta(hours=1)),
                                               (crash_loop, MAX_ATTEMPTS, now - timedelta(hours=1)),
                                               (fresh, 1, now)):  # still at work in another process
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                            .values(status="processing", attempts=attempts, claimed_at=claimed))
    counts = webhook_service.process_pending(hub, now=now)
    assert counts == {"released": 2, "created": 1}
    state = _state(hub)
    assert state["w-61"][:2] == ("processed", 2)
    assert state["w-62"][0] == "error" and "processing never finished" in (state["w-62"][2] or "")
    assert state["w-63"][0] == "processing"
    assert _order_ids(hub) == {"61"}


def test_with_a_broker_a_stored_delivery_is_published_once_and_processed_without_inline_routing(
        hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """The route only stores and publishes: the wake-up goes out after commit, a retried delivery
    and a body that is not JSON publish nothing, and the intake worker leaves routing to the
    routing worker that intake's own commit woke."""
    from hub.services import routing, wakeups

    connect_store(hub)
    sent: list[wakeups.Wakeup] = []
    previous = wakeups.set_publisher(sent.extend)
    routed: list[list[int]] = []
    monkeypatch.setattr(routing, "react_to_orders", lambda _hub, ids: routed.append(ids))
    try:
        body = json.dumps(valid_order(301)).encode()
        delivery_id = _store(hub, body, "pub-1")
        assert sent == [("delivery", (delivery_id,))]
        headers = {k.lower(): v for k, v in signed(body, "pub-1").items()}
        assert webhook_service.receive(hub, "shopify", headers, body).duplicate
        bad = b"{not json"
        bad_headers = {k.lower(): v for k, v in signed(bad, "pub-2").items()}
        assert webhook_service.receive(hub, "shopify", bad_headers, bad).status_code == 400
        assert sent == [("delivery", (delivery_id,))]
        sent.clear()
        assert webhook_service.process(hub, delivery_id) == "created"
        assert [kind for kind, _ in sent] == ["orders"] and routed == []
    finally:
        wakeups.set_publisher(previous)


def test_the_sweep_leaves_a_fresh_delivery_to_its_wakeup_until_the_grace_is_over(hub: Hub) -> None:
    connect_store(hub)
    _store(hub, json.dumps(valid_order(401)).encode(), "fresh-1")
    assert webhook_service.process_pending(hub, grace=timedelta(seconds=30)) == {}
    later = utcnow() + timedelta(seconds=31)
    assert webhook_service.process_pending(hub, now=later, grace=timedelta(seconds=30)) == {"created": 1}
