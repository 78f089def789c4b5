"""Pulling feed URLs: streamed import, conditional GET, 304 applies nothing, errors counted."""

from __future__ import annotations

import httpx
import pytest
import respx
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import FeedRun, Offer
from hub.services import suppliers
from hub.services.feed_pull import due_suppliers, pull_due_feeds
from jobs.definitions import pull_supplier_feeds, register_all
from jobs.registry import registry
from jobs.runner import run_job
from tests.feed_helpers import PUBLIC, static_resolver

URL = "https://feeds.example.test/acme.csv"
CSV = b"sku,qty,price\nA1,3,10.00\nA2,1,5.50\n"


@pytest.fixture(autouse=True)
def _resolve_feed_hosts(sqlite_hub: Hub) -> None:
    sqlite_hub.resolver = static_resolver({"feeds.example.test": [PUBLIC]})  # no DNS in tests


def count(hub: Hub, model: type) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@respx.mock
def test_pull_then_304_applies_nothing(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD", feed_url=URL, guard=suppliers.url_guard(hub))
    suppliers.add_supplier(hub.db, "nourl", "No URL", "USD")
    route = respx.get(URL).mock(return_value=httpx.Response(
        200, content=CSV, headers={"ETag": '"v1"', "Last-Modified": "Sun, 22 Nov 2026 08:00:00 GMT"}))
    with httpx.Client() as client:
        assert pull_due_feeds(hub, client) == {"applied": 1, "suspect": 0, "not_modified": 0, "failed": 0}
    assert count(hub, Offer) == 2
    with hub.db.transaction() as session:
        run = session.execute(select(FeedRun)).scalar_one()
        assert (run.source, run.mode, run.etag) == ("url", "full", '"v1"')

    assert due_suppliers(hub) == []  # pulled within the interval
    hub.settings.feed_pull_interval_seconds = 60
    route.mock(return_value=httpx.Response(304))
    with hub.db.transaction() as session:  # make the last pull old enough
        session.execute(FeedRun.__table__.update().values(started_at=run.started_at.replace(year=2025)))
    with httpx.Client() as client:
        assert pull_due_feeds(hub, client)["not_modified"] == 1
    sent = route.calls.last.request.headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"].startswith("Sun, 22 Nov 2026")
    assert count(hub, FeedRun) == 1 and count(hub, Offer) == 2


@respx.mock
def test_http_errors_are_counted_not_raised(sqlite_hub: Hub) -> None:
    guard = suppliers.url_guard(sqlite_hub)
    suppliers.add_supplier(sqlite_hub.db, "acme", "Acme", "USD", feed_url=URL, guard=guard)
    suppliers.add_supplier(sqlite_hub.db, "beta", "Beta", "USD", feed_url=URL + "?b", guard=guard)
    respx.get(URL, params={"b": ""}).mock(side_effect=httpx.ConnectError("refused"))
    respx.get(URL).mock(return_value=httpx.Response(500))
    with httpx.Client() as client:
        assert pull_due_feeds(sqlite_hub, client)["failed"] == 2
    assert count(sqlite_hub, Offer) == 0


@respx.mock
def test_job_is_registered_and_runs(sqlite_hub: Hub) -> None:
    suppliers.add_supplier(sqlite_hub.db, "acme", "Acme", "USD", feed_url=URL, guard=suppliers.url_guard(sqlite_hub))
    respx.get(URL).mock(return_value=httpx.Response(200, content=CSV))
    register_all(sqlite_hub.settings)
    spec = registry.get("suppliers.pull_feed")
    assert spec.func is pull_supplier_feeds and not spec.per_store
    outcome = run_job(sqlite_hub, spec)
    assert outcome.status == "ok" and outcome.counts["applied"] == 1
