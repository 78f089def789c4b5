"""The outbox gauges cost one query per second at most, however often Prometheus scrapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

import hub.metrics as metrics
from hub.services.backlog import Backlog


def test_scrapes_within_a_second_share_one_query(monkeypatch: pytest.MonkeyPatch) -> None:
    queries: list[int] = []

    def backlog(hub: Any) -> list[Backlog]:
        queries.append(1)
        return [Backlog("supplier.place", "pending", len(queries), datetime.now(UTC))]

    monkeypatch.setattr(metrics, "outbox_backlog", backlog)
    now = [100.0]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.OutboxCollector(hub=lambda: None, clock=lambda: now[0]))  # type: ignore[arg-type,return-value]
    line = 'hub_outbox_messages{kind="supplier.place",state="pending"}'
    assert f"{line} 1.0" in generate_latest(registry).decode()
    now[0] += 0.5
    assert f"{line} 1.0" in generate_latest(registry).decode() and len(queries) == 1
    now[0] += 0.6
    assert f"{line} 2.0" in generate_latest(registry).decode()
    assert len(queries) == 2
