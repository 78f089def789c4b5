"""Feed URLs are checked when a supplier is saved: API 422 and CLI exit 2, with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Supplier
from tests.api.conftest import AUTH
from tests.cli.test_cli import hub_cli
from tests.feed_helpers import PUBLIC, static_resolver

REFUSED = [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/iam/", "link-local"),
    ("http://[::1]/feed.csv", "loopback"),
    ("http://10.0.0.1/feed.csv", "private"),
    ("http://0.0.0.0:8000/", "unspecified"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://localhost:8000/feed.csv", "loopback"),
    ("https://internal.example.test/feed.xml", "loopback"),  # a name that resolves to loopback
    ("ftp://feeds.example.test/feed.csv", "http:// or https://"),
    ("file:///etc/passwd", "http:// or https://"),
]


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    hub.resolver = static_resolver({"feeds.example.test": [PUBLIC], "internal.example.test": ["127.0.0.1"]})
    with TestClient(create_app(hub), raise_server_exceptions=False) as client:
        yield client


def create(api: TestClient, code: str, url: str) -> tuple[int, dict[str, object]]:
    body = {"code": code, "name": code, "currency": "USD", "feed_url": url}
    response = api.post("/api/v1/suppliers", json=body, headers=AUTH)
    return response.status_code, response.json()


def test_internal_feed_urls_are_refused_at_save_time(api: TestClient, hub: Hub) -> None:
    for i, (url, reason) in enumerate(REFUSED):
        status, body = create(api, f"s{i}", url)
        assert status == 422, (url, body)
        message = body["error"]["message"]  # type: ignore[index]
        assert message.startswith("feed URL refused") and reason in message, (url, message)
    with hub.db.transaction() as session:
        assert session.execute(select(Supplier.id)).all() == []
    status, body = create(api, "ok", "https://feeds.example.test/feed.xml")
    assert status == 201 and body["feed_url"] == "https://feeds.example.test/feed.xml"


def test_allow_private_urls_setting(api: TestClient, hub: Hub) -> None:
    hub.settings.feed_allow_private_urls = True
    assert create(api, "local", "http://127.0.0.1:8080/feed.csv")[0] == 201
    assert create(api, "ftp", "ftp://127.0.0.1/feed.csv")[0] == 422


def test_cli_refuses_with_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var")}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    for url, reason in (REFUSED[1], REFUSED[6]):
        added = hub_cli("supplier", "add", "acme", "--name", "Acme", "--currency", "USD", "--feed-url", url,
                        env=env, cwd=tmp_path)
        assert added.returncode == 2, added.stdout + added.stderr
        assert "feed URL refused" in added.stderr and reason in added.stderr and "Traceback" not in added.stderr
