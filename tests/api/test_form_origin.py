"""Cross-site form posts: every page form is refused unless its Origin (or Referer) names this hub;
sign-in attempts are limited per address."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.api.csrf import same_site_post
from hub.bootstrap import Hub
from tests.conftest import ADMIN_TOKEN


def test_origin_rules() -> None:
    assert same_site_post({"host": "hub.example:8000", "origin": "https://hub.example:8000"})
    assert not same_site_post({"host": "hub.example", "origin": "https://evil.example"})
    assert not same_site_post({"host": "hub.example", "origin": "null"})  # a sandboxed frame or a file
    assert not same_site_post({"host": "hub.example"})  # neither header: refused
    assert same_site_post({"host": "hub.example", "referer": "https://hub.example/attention"})
    assert not same_site_post({"host": "hub.example", "referer": "https://hub.example.evil.test/"})
    assert not same_site_post({"host": "hub.example", "origin": "https://evil.example",
                               "referer": "https://hub.example/"})  # the Origin decides when sent


def test_a_form_from_another_site_changes_nothing(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), follow_redirects=False)
    home = {"Origin": "http://testserver"}
    signed = client.post("/login", data={"token": ADMIN_TOKEN}, headers=home)
    assert signed.status_code == 303
    for headers in ({"Origin": "https://evil.example"}, {}, {"Referer": "https://evil.example/x"}):
        refused = client.post("/expenses", data={"name": "x", "amount": "1", "date": "2026-12-01"}, headers=headers)
        assert refused.status_code == 403 and "This form was refused" in refused.text
    assert client.get("/expenses").text.count("<td>x</td>") == 0
    # the JSON API and webhooks are not page forms: bearer tokens and HMACs guard them
    assert client.post("/api/v1/orders", json={}, headers={"Origin": "https://evil.example"}).status_code == 401
    # an unrouted method is still the router's answer, not a refusal
    assert client.post("/shopify/callback", headers={"Origin": "https://evil.example"}).status_code == 405


def test_sign_in_attempts_are_limited_per_address(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), follow_redirects=False, headers={"Origin": "http://testserver"})
    for _ in range(10):
        assert client.post("/login", data={"token": "guess"}).status_code == 401
    blocked = client.post("/login", data={"token": ADMIN_TOKEN})  # even the right token waits now
    assert blocked.status_code == 429 and "try again in 10 minutes" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 500
    assert "hub_session" not in blocked.cookies
