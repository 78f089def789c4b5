"""/metrics, /readyz and request ids, through the real app on both backends."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select, update

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import OutboxMessage
from hub.domain.outbox_kinds import OutboxKind
from hub.logs import JsonFormatter
from hub.services.outbox import enqueue
from jobs.registry import JobSpec
from jobs.runner import run_job
from tests.api.conftest import AUTH
from tests.conftest import make_settings
from tests.live import free_port
from tests.webhook_payloads import connect_store, signed, valid_order


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub), raise_server_exceptions=False) as test_client:
        yield test_client


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_signed_webhook_adds_one_to_the_acknowledgement_histogram(hub: Hub, client: TestClient) -> None:
    connect_store(hub)
    labels = {"platform": "shopify", "topic": "orders/create", "outcome": "accepted"}
    before = value(scrape(client), "hub_webhook_ack_seconds_count", **labels)
    body = json.dumps(valid_order(501)).encode()
    assert client.post("/webhooks/shopify", content=body, headers=signed(body, "m-501")).status_code == 200
    unsigned = {**signed(body, "m-502"), "X-Shopify-Hmac-Sha256": "forged", "X-Shopify-Topic": "made/up"}
    assert client.post("/webhooks/shopify", content=body, headers=unsigned).status_code == 401
    after = scrape(client)
    assert value(after, "hub_webhook_ack_seconds_count", **labels) == before + 1
    assert value(after, "hub_webhook_ack_seconds_bucket", **labels, le="+Inf") == before + 1
    assert not [key for key in after if ("topic", "made/up") in key[1]]  # no label from an unsigned request
    assert value(after, "hub_webhook_ack_seconds_count", platform="shopify", topic="unverified",
                 outcome="refused") >= 1


def test_outbox_backlog_gauges_equal_the_undelivered_messages(hub: Hub, client: TestClient) -> None:
    with hub.db.transaction() as session:
        for index in range(3):
            enqueue(session, OutboxKind.PLACE, f"p-{index}", {})
        enqueue(session, OutboxKind.FULFIL, "q-0", {})
        enqueue(session, OutboxKind.FULFIL, "q-1", {})
        enqueue(session, OutboxKind.FULFIL, "q-2", {})
    with hub.db.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.idempotency_key == "q-1").values(state="done"))
        session.execute(update(OutboxMessage).where(OutboxMessage.idempotency_key == "q-2").values(state="failed"))
        session.execute(update(OutboxMessage).where(OutboxMessage.idempotency_key == "p-0")
                        .values(created_at=utcnow() - timedelta(minutes=10)))
        pending = session.execute(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.state == "pending")).scalar_one()
    samples = scrape(client)
    assert value(samples, "hub_outbox_pending") == pending == 4
    assert value(samples, "hub_outbox_messages", kind="supplier.place", state="pending") == 3
    assert value(samples, "hub_outbox_messages", kind="store.fulfill", state="pending") == 1
    assert value(samples, "hub_outbox_messages", kind="store.fulfill", state="failed") == 1
    assert ("hub_outbox_messages", (("kind", "store.fulfill"), ("state", "done"))) not in samples
    age = value(samples, "hub_outbox_oldest_age_seconds", kind="supplier.place", state="pending")
    assert 600 <= age < 660
    assert value(samples, "hub_outbox_oldest_age_seconds", kind="store.fulfill", state="pending") < 60
    assert value(samples, "hub_database_up") == 1


def test_a_failing_job_adds_to_its_failures_and_durations(hub: Hub, client: TestClient) -> None:
    def explode(hub: Hub, store_id: int | None) -> dict[str, int]:
        raise RuntimeError("the job broke")

    spec = JobSpec(name="metrics.explode", func=explode, interval_seconds=60, per_store=False)
    fine = JobSpec(name="metrics.fine", func=lambda hub, store_id: {"done": 1}, interval_seconds=60, per_store=False)
    before = scrape(client)
    assert run_job(hub, spec).status == "error"
    assert run_job(hub, fine).status == "ok"
    after = scrape(client)
    assert value(after, "hub_job_failures_total", job="metrics.explode") == value(
        before, "hub_job_failures_total", job="metrics.explode") + 1
    assert value(after, "hub_job_failures_total", job="metrics.fine") == 0
    assert value(after, "hub_job_duration_seconds_count", job="metrics.explode", status="error") == value(
        before, "hub_job_duration_seconds_count", job="metrics.explode", status="error") + 1
    assert value(after, "hub_job_duration_seconds_count", job="metrics.fine", status="ok") >= 1


def test_metrics_need_the_metrics_token_or_the_admin_token(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token="scrape-only")
    app = create_app(Hub(settings=settings, db=sqlite_db, cipher=TokenCipher(settings.fernet_key())))
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer scrape-only"}).status_code == 200
        assert client.get("/metrics", headers=AUTH).status_code == 200
        # the scraper's token opens nothing else
        assert client.get("/api/v1/status", headers={"Authorization": "Bearer scrape-only"}).status_code == 401


def test_readyz_is_200_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_readyz_is_503_naming_the_database_when_it_is_unreachable_and_healthz_stays_200(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    down = Database("postgresql+psycopg://hub:pw@127.0.0.1:1/hub")
    app = create_app(Hub(settings=settings, db=down, cipher=TokenCipher(settings.fernet_key())))
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
        assert response.json()["database"].startswith("error: ")
        assert "pw" not in response.text
        assert client.get("/healthz").json() == {"status": "ok"}  # the process is alive
        metrics = client.get("/metrics", headers=AUTH)  # still answers, saying the database is down
        assert metrics.status_code == 200 and "hub_database_up 0.0" in metrics.text


def test_readyz_checks_the_broker_when_one_is_configured(sqlite_db: Database, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        port = listening.getsockname()[1]
        up = make_settings(tmp_path, broker_url=f"redis://:secret@127.0.0.1:{port}/0")
        with TestClient(create_app(Hub(settings=up, db=sqlite_db, cipher=TokenCipher(up.fernet_key())))) as client:
            response = client.get("/readyz")
            assert response.status_code == 200 and response.json()["broker"] == "ok"
    down = make_settings(tmp_path, broker_url=f"amqp://guest:secret@127.0.0.1:{free_port()}//")
    with TestClient(create_app(Hub(settings=down, db=sqlite_db, cipher=TokenCipher(down.fernet_key())))) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["database"] == "ok" and response.json()["broker"].startswith("error: ")
        assert "secret" not in response.text


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Log lines as `HUB_LOG_FORMAT=json` writes them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_the_request_id_is_echoed_and_carried_by_the_json_log_lines(
        sqlite_db: Database, tmp_path: Path, json_log: io.StringIO) -> None:
    settings = make_settings(tmp_path, broker_url=f"redis://127.0.0.1:{free_port()}/0")  # not ready: logs a line
    app = create_app(Hub(settings=settings, db=sqlite_db, cipher=TokenCipher(settings.fernet_key())))
    with TestClient(app) as client:
        response = client.get("/readyz", headers={"X-Request-ID": "req-7f3a"})
        assert response.status_code == 503 and response.headers["X-Request-ID"] == "req-7f3a"
        generated = client.get("/readyz", headers={"X-Request-ID": "no spaces\tor tabs"}).headers["X-Request-ID"]
        assert len(generated) == 32 and generated.isalnum()
        assert client.get("/no/such/page").headers["X-Request-ID"]  # errors carry one too
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    not_ready = [line for line in lines if line["message"] == "not ready"]
    assert [line["request_id"] for line in not_ready] == ["req-7f3a", generated]
    assert not_ready[0]["failed"] == "broker" and not_ready[0]["logger"] == "hub.api.health"
