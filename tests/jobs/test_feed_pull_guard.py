"""Feed pulls fetch only public addresses: every redirect hop is checked, the connection goes to the
address that was checked (DNS rebinding), and a failed fetch says its status, never its body.

No traffic leaves the machine: public-looking hosts are answered by respx, and the only real
server is on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Iterator

import httpx
import pytest
import respx
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import FeedRun, Offer
from hub.errors import UserError
from hub.services import suppliers
from hub.services.feed_pull import pull_feed
from tests.feed_helpers import PUBLIC, sequence_resolver, static_resolver

URL = "https://feeds.example.test/acme.csv"
CSV = b"sku,qty,price\nA1,3,10.00\nA2,1,5.50\n"
SECRET = "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def runs(hub: Hub) -> list[tuple[str, str | None]]:
    with hub.db.transaction() as session:
        return [(r.status, r.error) for r in session.execute(select(FeedRun).order_by(FeedRun.id)).scalars()]


def offers(hub: Hub) -> int:
    with hub.db.transaction() as session:
        return len(session.execute(select(Offer.id)).all())


@pytest.fixture
def acme(hub: Hub) -> Hub:
    hub.resolver = static_resolver({"feeds.example.test": [PUBLIC], "metadata.example.test": ["169.254.169.254"]})
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD", feed_url=URL, guard=suppliers.url_guard(hub))
    return hub


LOCATIONS = ["http://127.0.0.1:5432/", "http://[::1]/feed.csv", "http://metadata.example.test/latest/meta-data/",
             "file:///etc/passwd"]


def test_redirect_to_an_internal_address_is_refused_before_it_is_requested(acme: Hub) -> None:
    for location in LOCATIONS:
        with respx.mock(assert_all_called=False) as router:
            router.get(URL).mock(return_value=httpx.Response(302, headers={"Location": location}))
            inside = router.route().mock(return_value=httpx.Response(200, content=CSV))  # anything else
            with pytest.raises(UserError, match="redirect 1 of the feed URL refused"):
                pull_feed(acme, "acme")
            assert not inside.called, location
    assert [status for status, _ in runs(acme)] == ["failed"] * len(LOCATIONS)
    assert all("redirect 1" in str(error) for _, error in runs(acme)) and offers(acme) == 0


def test_redirects_to_public_hosts_are_followed_hop_by_hop(acme: Hub) -> None:
    with respx.mock() as router:
        router.get(URL).mock(return_value=httpx.Response(301, headers={"Location": "/moved.csv"}))
        router.get("https://feeds.example.test/moved.csv").mock(return_value=httpx.Response(200, content=CSV))
        summary = pull_feed(acme, "acme")
    assert summary is not None and summary.status == "applied" and offers(acme) == 2


def test_endless_redirects_end(acme: Hub) -> None:
    with respx.mock() as router:
        router.get(URL).mock(return_value=httpx.Response(302, headers={"Location": URL}))
        with pytest.raises(UserError, match="redirects more than"):
            pull_feed(acme, "acme")


def test_a_failed_fetch_says_its_status_never_its_body(acme: Hub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [(500, f"{SECRET}\nTraceback …"), (403, f"<h1>{SECRET}</h1>"), (404, SECRET)]
    for status, body in answers:
        with respx.mock() as router:
            router.get(URL).mock(return_value=httpx.Response(status, text=body))
            with pytest.raises(UserError):
                pull_feed(acme, "acme")
    recorded = runs(acme)
    assert [s for s, _ in recorded] == ["failed"] * 3
    for (status, _), (_, error) in zip(answers, recorded, strict=True):
        assert error == f"the feed URL answered HTTP {status} {httpx.codes.get_reason_phrase(status)}"
    assert "wJalrXUtnFEMI" not in caplog.text
    assert all("wJalrXUtnFEMI" not in str(record.__dict__) for record in caplog.records)


class _Feed(http.server.BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(CSV)))
        self.end_headers()
        self.wfile.write(CSV)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def loopback_feed() -> Iterator[tuple[int, list[str]]]:
    """A real feed server on 127.0.0.1 (port 0: any free one) and the paths it was asked for."""
    seen: list[str] = []
    handler = type("Handler", (_Feed,), {"requests": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def test_dns_rebinding_is_refused_at_connect(hub: Hub, loopback_feed: tuple[int, list[str]]) -> None:
    """The name resolves to a public address when checked, then to 127.0.0.1: nothing connects."""
    port, seen = loopback_feed
    url = f"http://feeds.example.test:{port}/feed.csv"
    lookups: list[str] = []
    rebinding = sequence_resolver([[PUBLIC], [PUBLIC], ["127.0.0.1"]])  # save, the hop's check, the connect

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return rebinding(host, port)

    hub.resolver = resolve
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD", feed_url=url, guard=suppliers.url_guard(hub))
    with pytest.raises(UserError, match="loopback"):
        pull_feed(hub, "acme")
    assert len(lookups) == 3  # the third lookup, the connect's, is the one refused
    assert seen == [] and offers(hub) == 0
    assert [status for status, _ in runs(hub)] == ["failed"]


def test_allowed_private_urls_fetch_from_loopback(hub: Hub, loopback_feed: tuple[int, list[str]]) -> None:
    """With HUB_FEED_ALLOW_PRIVATE_URLS the guarded client connects, to the address the resolver gave."""
    port, seen = loopback_feed
    hub.settings.feed_allow_private_urls = True
    hub.resolver = static_resolver({"feeds.example.test": ["127.0.0.1"]})
    url = f"http://feeds.example.test:{port}/feed.csv"
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD", feed_url=url, guard=suppliers.url_guard(hub))
    summary = pull_feed(hub, "acme")
    assert summary is not None and summary.status == "applied" and offers(hub) == 2 and seen == ["/feed.csv"]
    hub.settings.feed_allow_private_urls = False  # saved earlier, refused now: checked again at fetch time
    with pytest.raises(UserError, match="loopback"):
        pull_feed(hub, "acme")
    assert seen == ["/feed.csv"]


def test_content_encodings_are_decoded_in_bounded_blocks(acme: Hub) -> None:
    """gzip (also a .gz file sent gzip-encoded once more) and deflate apply; an encoding not asked for fails."""
    import gzip
    import zlib

    rows = b"sku,qty,price\n" + b"".join(b"E%d,1,1.00\n" % i for i in range(5))
    answers = [({"Content-Encoding": "gzip"}, gzip.compress(rows)),
               ({"Content-Encoding": "gzip", "Content-Type": "application/gzip"}, gzip.compress(gzip.compress(rows))),
               ({"Content-Encoding": "deflate"}, zlib.compress(rows))]
    for headers, body in answers:
        with respx.mock() as router:
            route = router.get(URL).mock(return_value=httpx.Response(200, content=body, headers=headers))
            summary = pull_feed(acme, "acme")
            assert summary is not None and (summary.status, summary.accepted) == ("applied", 5), headers
            assert route.calls.last.request.headers["Accept-Encoding"] == "gzip, deflate"
    with respx.mock() as router:
        router.get(URL).mock(return_value=httpx.Response(200, content=b"\x00" * 10, headers={"Content-Encoding": "br"}))
        with pytest.raises(UserError, match="unsupported Content-Encoding"):
            pull_feed(acme, "acme")
