"""Feed limits on both backends: a gzip bomb stops at the decompressed limit (push 413, pull a
failed run) and frees the supplier for the next import; a suspect run cannot be confirmed while
another import of the supplier runs."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.models import FeedRun, Offer
from hub.errors import Conflict, UserError
from hub.services import suppliers
from hub.services.feed_pull import pull_feed
from hub.services.feeds import confirm_run, import_feed
from tests.api.conftest import AUTH
from tests.conftest import make_settings
from tests.feed_helpers import MIB, PUBLIC, gzip_bomb, gzip_bomb_one_member, static_resolver

GOOD = b"sku,qty,price\nA1,3,10.00\nA2,1,5.50\n"
BOMB_SIZE = 256 * MIB  # ~270 KB compressed: under the limit below, as bytes on the wire


@pytest.fixture
def limited(hub: Hub, tmp_path: Path) -> Hub:
    """The same database with HUB_FEED_MAX_BYTES = 1 MiB (the bomb's compressed size is under it)."""
    settings = make_settings(tmp_path, feed_max_bytes=MIB)
    small = Hub(settings=settings, db=hub.db, cipher=TokenCipher(settings.fernet_key()))
    small.resolver = static_resolver({"feeds.example.test": [PUBLIC]})
    return small


def runs(hub: Hub) -> list[tuple[str, str | None]]:
    with hub.db.transaction() as session:
        return [(r.status, r.error) for r in session.execute(select(FeedRun).order_by(FeedRun.id)).scalars()]


def offer_count(hub: Hub) -> int:
    with hub.db.transaction() as session:
        return len(session.execute(select(Offer.id)).all())


def test_gzip_bomb_push_is_413_and_the_next_import_runs(limited: Hub) -> None:
    suppliers.add_supplier(limited.db, "acme", "Acme", "USD")
    key = suppliers.create_key(limited.db, "acme")[1]
    bomb = gzip_bomb(BOMB_SIZE)
    assert len(bomb) < MIB
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv", "Content-Encoding": "gzip"}
    with TestClient(create_app(limited), raise_server_exceptions=False) as api:
        response = api.post("/api/v1/suppliers/acme/feed", content=bomb, headers=headers)
        assert response.status_code == 413, response.text
        error = response.json()["error"]
        assert error["code"] == "payload_too_large" and "decompressed" in error["message"]
        assert runs(limited) == [("failed", runs(limited)[0][1])] and "decompressed" in str(runs(limited)[0][1])
        assert offer_count(limited) == 0
        again = api.post("/api/v1/suppliers/acme/feed", content=GOOD,
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"})
        assert again.status_code == 200 and again.json()["accepted"] == 2


def test_gzip_bomb_in_a_delta_after_rows_applies_nothing(limited: Hub) -> None:
    """Rows before the limit are not applied either: the size is known before the first row is read."""
    suppliers.add_supplier(limited.db, "acme", "Acme", "USD")
    rows = b"".join(b"B%d,1,1.00\n" % i for i in range(50))
    with pytest.raises(UserError, match="larger than the limit"):
        import_feed(limited, "acme", io.BytesIO(gzip_bomb(BOMB_SIZE, b"sku,qty,price\n" + rows)), mode="delta")
    assert offer_count(limited) == 0 and [s for s, _ in runs(limited)] == ["failed"]


@pytest.mark.parametrize("encoded", [False, True], ids=["gzip-file", "content-encoding"])
def test_gzip_bomb_pull_is_a_failed_run(limited: Hub, encoded: bool) -> None:
    url = "https://feeds.example.test/acme.csv.gz"
    suppliers.add_supplier(limited.db, "acme", "Acme", "USD", feed_url=url, guard=suppliers.url_guard(limited))
    headers = {"Content-Encoding": "gzip"} if encoded else {"Content-Type": "application/gzip"}
    bomb = gzip_bomb_one_member(64 * MIB) if encoded else gzip_bomb(BOMB_SIZE)
    with respx.mock() as router:
        route = router.get(url).mock(return_value=httpx.Response(200, content=bomb, headers=headers))
        with pytest.raises(UserError, match="larger than the limit"):
            pull_feed(limited, "acme")
        [(status, error)] = runs(limited)
        assert status == "failed" and "larger than the limit" in str(error)
        assert offer_count(limited) == 0
        route.mock(return_value=httpx.Response(200, content=GOOD))
        summary = pull_feed(limited, "acme")
    assert summary is not None and summary.status == "applied"


class _HeldStream:
    """A feed whose first read waits until released: an import that is running, on demand."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.release = threading.Event()

    def read(self, size: int = -1, /) -> bytes:
        if not self.release.wait(timeout=30):
            raise TimeoutError("never released")
        return self._data.read(size)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._data.seek(offset, whence)


def _wait_for_running(hub: Hub, deadline: float = 90) -> None:  # a safety net for a loaded machine
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if any(status == "running" for status, _ in runs(hub)):
            return
        time.sleep(0.01)
    raise AssertionError("the import never started")


@pytest.fixture
def suspect(hub: Hub) -> Iterator[int]:
    """Supplier acme with 10 offers and a 1-row full feed held as suspect (its run id)."""
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD")
    import_feed(hub, "acme", io.BytesIO(b"sku,qty,price\n" + b"".join(b"S%d,1,1.00\n" % i for i in range(10))))
    held = import_feed(hub, "acme", io.BytesIO(b"sku,qty,price\nS1,5,1.00\n"))
    assert held.status == "suspect"
    yield held.feed_run_id


def test_confirm_while_another_import_runs_is_409(hub: Hub, suspect: int) -> None:
    stream = _HeldStream(b"sku,qty,price\nD1,4,2.00\n")
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(import_feed(hub, "acme", stream, mode="delta")))
    worker.start()
    try:
        _wait_for_running(hub)
        with pytest.raises(Conflict, match="still running"):
            confirm_run(hub, suspect)
        with TestClient(create_app(hub), raise_server_exceptions=False) as api:
            response = api.post(f"/api/v1/suppliers/acme/feed-runs/{suspect}/confirm", headers=AUTH)
            assert response.status_code == 409 and "still running" in response.json()["error"]["message"]
    finally:
        stream.release.set()
        worker.join(timeout=60)
    assert [s for s, _ in runs(hub)] == ["applied", "suspect", "applied"]  # the suspect run is still there
    assert confirm_run(hub, suspect).status == "applied"  # and can be confirmed once the import ended


def test_utf16_billion_laughs_push_is_refused_and_applies_nothing(hub: Hub) -> None:
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD")
    key = suppliers.create_key(hub.db, "acme")[1]
    laughs = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
              '<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>X1</g:id><title>&c;</title>'
              '<g:price>1.00 USD</g:price><g:availability>in stock</g:availability></item></channel></rss>')
    body = b"\xff\xfe" + laughs.encode("utf-16-le")
    with TestClient(create_app(hub), raise_server_exceptions=False) as api:
        response = api.post("/api/v1/suppliers/acme/feed", content=body,
                            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/xml"})
    assert response.status_code == 422 and "DOCTYPE is refused" in response.json()["error"]["message"]
    assert offer_count(hub) == 0 and [s for s, _ in runs(hub)] == ["failed"]
