"""Queue depths for /metrics: read from Redis and RabbitMQ themselves, and the collector's answer
when the broker is away or not configured."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from hub.config import Settings
from hub.tasks.app import INTAKE_TASK, make_app, queue_name
from hub.tasks.telemetry import QueueDepthCollector, queue_depths
from tests.e2e.celery_support import broker_url


@pytest.mark.parametrize("broker", ["redis", "amqp"])
def test_queue_depths_count_what_waits_in_each_queue(broker: str) -> None:
    prefix = f"qd{uuid.uuid4().hex[:8]}."
    settings = Settings(_env_file=None, admin_token="x", broker_url=broker_url(broker),  # type: ignore[call-arg]
                        broker_queue_prefix=prefix)
    app = make_app(broker_url(broker), settings)
    intake, routing = queue_name(app, "intake"), queue_name(app, "routing")
    try:
        for delivery in range(3):
            app.send_task(INTAKE_TASK, args=[[delivery]], queue=intake)
        assert queue_depths(app, [intake, routing, queue_name(app, "never-used")]) == \
            {intake: 3, routing: 0, queue_name(app, "never-used"): 0}
    finally:
        with app.connection_for_write() as connection:
            for name in (intake, routing):
                channel = connection.channel()
                with contextlib.suppress(Exception):  # a queue the broker never made
                    channel.queue_delete(name)
                channel.close()


def _render(collector: QueueDepthCollector) -> str:
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_the_collector_says_when_the_broker_does_not_answer_and_is_silent_without_one() -> None:
    now = [0.0]

    def down() -> dict[str, int]:
        raise ConnectionRefusedError("nobody on 6379")

    text = _render(QueueDepthCollector(down, clock=lambda: now[0]))
    assert "hub_broker_up 0.0" in text and "hub_queue_messages" not in text
    assert _render(QueueDepthCollector(lambda: None)) == ""
    reads = []

    def counted() -> dict[str, int]:
        reads.append(1)
        return {"intake": 4}

    collector = QueueDepthCollector(counted, clock=lambda: now[0])
    assert 'hub_queue_messages{queue="intake"} 4.0' in _render(collector)
    _render(collector)
    assert len(reads) == 1  # a burst of scrapes asks the broker once
    now[0] += 10
    _render(collector)
    assert len(reads) == 2
