"""The public-app install: permission redirect, then a callback checked for HMAC, state and shop."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxShopify
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services import stores

SECRET = "app-secret"


def _signed(params: dict[str, str], secret: str = SECRET) -> dict[str, str]:
    """Shopify's query signature: hex HMAC-SHA256 of the sorted `key=value` pairs joined by '&'."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()}


@pytest.fixture
def oauth_app(sqlite_hub: Hub) -> tuple[TestClient, SandboxShopify, list[str]]:
    sandbox = SandboxShopify()
    exchanged: list[str] = []
    graphql = sandbox.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/admin/oauth/access_token":
            body = httpx.Request("POST", "x", content=request.content).read()
            exchanged.append(body.decode())
            if b'"good-code"' not in body:
                return httpx.Response(400, json={"error": "invalid_request"})
            return httpx.Response(200, json={"access_token": sandbox.config.access_token, "scope": "read_orders"})
        return graphql.handle_request(request)

    sqlite_hub.connectors = ConnectorRegistry(shopify_transport=httpx.MockTransport(handler))
    sqlite_hub.settings.shopify_client_id = "app-id"
    sqlite_hub.settings.shopify_client_secret = SecretStr(SECRET)
    sqlite_hub.settings.public_url = "https://hub.example.com"
    client = TestClient(create_app(sqlite_hub), base_url="https://testserver", follow_redirects=False)
    return client, sandbox, exchanged


def _install(client: TestClient, shop: str) -> str:
    response = client.get(f"/shopify/install?shop={shop}")
    assert response.status_code == 302
    location = urlparse(response.headers["location"])
    query = parse_qs(location.query)
    assert location.netloc == shop and location.path == "/admin/oauth/authorize"
    assert query["client_id"] == ["app-id"]
    assert query["redirect_uri"] == ["https://hub.example.com/shopify/callback"]
    assert "read_orders" in query["scope"][0]
    return query["state"][0]


def test_install_then_callback_stores_the_token_and_registers_webhooks(oauth_app) -> None:  # type: ignore[no-untyped-def]
    client, sandbox, exchanged = oauth_app
    shop = sandbox.config.shop_domain
    state = _install(client, shop)
    params = _signed({"code": "good-code", "shop": shop, "state": state, "timestamp": str(int(time.time())),
                      "host": "YWRtaW4uc2hvcGlmeS5jb20"})
    response = client.get("/shopify/callback", params=params)
    assert response.status_code == 200, response.text
    assert "connected" in response.text
    hub: Hub = client.app.state.hub  # type: ignore[attr-defined]
    [store] = stores.list_stores(hub.db)
    assert store["shop_domain"] == shop and store["name"] == sandbox.config.shop_name
    assert stores.credentials(hub, store["id"]).access_token == sandbox.config.access_token
    assert '"client_secret":"app-secret"' in exchanged[0].replace(" ", "")
    registered = {(w.topic, w.callback_url) for w in sandbox.data.webhooks}
    assert ("orders/create", "https://hub.example.com/webhooks/shopify") in {
        (t.lower().replace("_", "/"), u) for t, u in registered}


@pytest.mark.parametrize("tamper", ["hmac", "state", "shop", "stale", "code"])
def test_a_bad_callback_is_400_and_stores_nothing(oauth_app, tamper: str) -> None:  # type: ignore[no-untyped-def]
    client, sandbox, _ = oauth_app
    shop = sandbox.config.shop_domain
    state = _install(client, shop)
    params = {"code": "good-code", "shop": shop, "state": state, "timestamp": str(int(time.time()))}
    if tamper == "state":
        params["state"] = "someone-else"
    if tamper == "shop":
        params["shop"] = "other-shop.myshopify.com"
    if tamper == "stale":
        params["timestamp"] = str(int(time.time()) - 2 * 86400)
    if tamper == "code":
        params["code"] = "bad-code"
    signed = _signed(params, "wrong-secret" if tamper == "hmac" else SECRET)
    response = client.get("/shopify/callback", params=signed)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"]
    hub: Hub = client.app.state.hub  # type: ignore[attr-defined]
    assert stores.list_stores(hub.db) == []


def test_install_refuses_a_bad_domain_and_unconfigured_app(oauth_app, sqlite_hub: Hub) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = oauth_app
    assert client.get("/shopify/install?shop=evil.com").status_code == 400
    sqlite_hub.settings.shopify_client_id = None
    response = client.get("/shopify/install?shop=a.myshopify.com")
    assert response.status_code == 400 and "HUB_SHOPIFY_CLIENT_ID" in response.json()["error"]["message"]
