"""OAuth for a public Shopify app: permission URL and query HMAC through ShopifyAPI, code exchange over httpx.

ShopifyAPI keeps the app's key and secret on a class (`Session.setup`); every call here sets them
first, so the values always come from the hub's settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
import shopify

from connectors.http import ConnectorError, MalformedResponse, RemoteRejected, build_client, excerpt


def permission_url(shop: str, client_id: str, client_secret: str, scopes: Sequence[str], redirect_uri: str,
                   state: str) -> str:
    shopify.Session.setup(api_key=client_id, secret=client_secret)
    session = shopify.Session(shop, "unstable")
    return str(session.create_permission_url(list(scopes), redirect_uri, state=state))


def callback_is_authentic(params: Mapping[str, str], client_id: str, client_secret: str) -> bool:
    """The query's `hmac` is valid under the app secret and its `timestamp` is less than a day old."""
    shopify.Session.setup(api_key=client_id, secret=client_secret)
    try:
        return bool(shopify.Session.validate_params(dict(params)))
    except (ValueError, TypeError):
        return False


def exchange_code(shop: str, client_id: str, client_secret: str, code: str,
                  transport: httpx.BaseTransport | None = None) -> tuple[str, str]:
    """Trade the callback's code for an offline access token; returns (token, granted scopes)."""
    with build_client(transport=transport) as client:
        try:
            response = client.post(f"https://{shop}/admin/oauth/access_token",
                                   json={"client_id": client_id, "client_secret": client_secret, "code": code})
        except httpx.HTTPError as exc:
            raise ConnectorError(f"token exchange with {shop} failed: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise RemoteRejected(response.status_code, response.headers.get("x-request-id"), excerpt(response.text))
    try:
        payload = response.json()
        return str(payload["access_token"]), str(payload.get("scope", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedResponse(f"token exchange with {shop}: unexpected body") from exc
