"""Publishing after commit and the relay, on both backends.

What a transaction enqueues is published only once it commits, never when it rolls back, and not
at all without a broker; the relay republishes exactly the messages that are due and nobody works on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import OutboxMessage, Store
from hub.services import outbox, wakeups
from hub.services.intake import ingest
from hub.tasks.relay import Relay, overdue_messages
from tests.factories import make_order


@pytest.fixture
def published() -> Iterator[list[wakeups.Wakeup]]:
    sent: list[wakeups.Wakeup] = []
    previous = wakeups.set_publisher(sent.extend)
    try:
        yield sent
    finally:
        wakeups.set_publisher(previous)


def _message_id(db: Database, key: str) -> int:
    with db.read() as session:
        return int(session.execute(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).scalar_one())


def test_a_message_is_published_after_its_transaction_commits(db: Database,
                                                              published: list[wakeups.Wakeup]) -> None:
    with db.transaction() as session:
        assert outbox.enqueue(session, "supplier.place", "k1", {"supplier_order_id": 1})
        assert not outbox.enqueue(session, "supplier.place", "k1", {"supplier_order_id": 1})  # same key: once
        assert published == []  # not before the commit
    assert published == [("outbox", (_message_id(db, "k1"), "supplier.place"))]


def test_a_rolled_back_message_is_never_published(db: Database, published: list[wakeups.Wakeup]) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        outbox.enqueue(session, "supplier.place", "k2", {})
        raise RuntimeError("the change failed")
    with db.transaction() as session:
        outbox.enqueue(session, "store.fulfill", "k3", {})
    assert published == [("outbox", (_message_id(db, "k3"), "store.fulfill"))]


def test_without_a_broker_nothing_is_kept_for_publishing(db: Database) -> None:
    assert not wakeups.enabled()
    with db.transaction() as session:
        outbox.enqueue(session, "supplier.place", "k4", {})
        assert "hub.wakeups" not in session.info


def test_intake_publishes_the_orders_it_created(db: Database, published: list[wakeups.Wakeup]) -> None:
    with db.transaction() as session:
        store = Store(platform="shopify", name="s", shop_domain="w.myshopify.com", currency="USD", settings={})
        session.add(store)
        session.flush()
        result = ingest(session, store.id, [make_order("w1"), make_order("w2")], "test")
    assert published == [("orders", tuple(result.created_ids))]
    assert len(result.created_ids) == 2


def _set(db: Database, key: str, **values: object) -> None:
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.idempotency_key == key).values(**values))


def test_the_relay_republishes_what_is_due_and_unclaimed(db: Database) -> None:
    now = utcnow()
    grace = timedelta(seconds=30)
    with db.transaction() as session:
        for key in ("fresh", "lost", "retried", "leased", "backoff", "done"):
            outbox.enqueue(session, "supplier.place", key, {})
    _set(db, "fresh", available_at=now - timedelta(seconds=5))  # its wake-up still has its chance
    _set(db, "lost", available_at=now - timedelta(seconds=60))
    _set(db, "retried", attempts=1, available_at=now - timedelta(seconds=1))
    _set(db, "leased", attempts=1, available_at=now - timedelta(seconds=60),
         locked_until=now + timedelta(seconds=60))  # a worker holds it
    _set(db, "backoff", attempts=2, available_at=now + timedelta(seconds=60))
    _set(db, "done", state="done", available_at=now - timedelta(seconds=60))
    overdue = overdue_messages(db, grace, now)
    assert overdue == [(_message_id(db, "lost"), "supplier.place"), (_message_id(db, "retried"), "supplier.place")]


def test_the_relay_sends_a_waiting_message_again_only_after_a_doubling_wait(db: Database) -> None:
    """A message stuck behind a backlog is not added to the queue again on every tick: after the
    grace, then 2, 4… graces; a new attempt of it (after a retry's backoff) is sent at once."""
    start = utcnow()
    grace = timedelta(seconds=10)
    with db.transaction() as session:
        outbox.enqueue(session, "supplier.place", "queued", {})
    _set(db, "queued", available_at=start - timedelta(seconds=60))
    message = (_message_id(db, "queued"), "supplier.place")
    sent: list[tuple[int, str]] = []
    relay = Relay(db, sent.extend, grace)
    at = [0, 5, 10, 15, 25, 29, 30, 69, 70]  # seconds after the first tick
    for second in at:
        relay(start + timedelta(seconds=second))
    assert sent == [message] * 4  # at 0, 10 (+1 grace), 30 (+2), 70 (+4)
    _set(db, "queued", attempts=1)  # tried and retried meanwhile: a new attempt
    relay(start + timedelta(seconds=71))
    assert sent == [message] * 5
    _set(db, "queued", state="done")
    assert relay(start + timedelta(seconds=500)) == 0 and relay.sent == {}


def test_a_wakeup_for_a_message_in_backoff_does_nothing(hub: Hub) -> None:
    with hub.db.transaction() as session:
        outbox.enqueue(session, "supplier.place", "later", {}, available_at=utcnow() + timedelta(hours=1))
    message_id = _message_id(hub.db, "later")
    assert outbox.deliver(hub, message_id, due_only=True) == "skipped"
    with hub.db.read() as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None and message.attempts == 0 and message.state == "pending"
