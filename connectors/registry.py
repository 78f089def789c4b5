"""Connector kind → adapter factory: the only place the core learns which adapters exist."""

from __future__ import annotations

import httpx

from connectors.shopify import oauth
from connectors.shopify.client import ShopifyClient
from connectors.shopify.mappers import order_from_rest
from connectors.shopify.webhooks import verify_webhook
from hub.domain.orders import OrderIn
from hub.ports import StoreCredentials, Storefront


class ConnectorRegistry:
    """Builds storefront clients. `shopify_transport` routes Shopify calls in-process (sandbox, tests)."""

    def __init__(self, shopify_transport: httpx.BaseTransport | None = None) -> None:
        self.shopify_transport = shopify_transport

    def storefront(self, credentials: StoreCredentials) -> Storefront:
        if credentials.platform != "shopify":
            raise ValueError(f"no storefront connector for platform {credentials.platform!r}")
        return ShopifyClient(credentials.shop_domain, credentials.access_token, credentials.api_version,
                             transport=self.shopify_transport, base_url=credentials.base_url)

    @staticmethod
    def verify_webhook(platform: str, raw_body: bytes, signature: str | None, secret: str) -> bool:
        if platform != "shopify":
            return False
        return verify_webhook(raw_body, signature, secret)

    @staticmethod
    def order_from_webhook(platform: str, payload: object) -> OrderIn:
        """The order in a webhook body; raises ConnectorError (MalformedResponse) when it is not one."""
        if platform != "shopify":
            raise ValueError(f"no webhook mapper for platform {platform!r}")
        return order_from_rest(payload)

    def oauth_exchange(self, shop: str, client_id: str, client_secret: str, code: str) -> tuple[str, str]:
        return oauth.exchange_code(shop, client_id, client_secret, code, transport=self.shopify_transport)

    @staticmethod
    def oauth_permission_url(shop: str, client_id: str, client_secret: str, scopes: list[str], redirect_uri: str,
                             state: str) -> str:
        return oauth.permission_url(shop, client_id, client_secret, scopes, redirect_uri, state)

    @staticmethod
    def oauth_callback_is_authentic(params: dict[str, str], client_id: str, client_secret: str) -> bool:
        return oauth.callback_is_authentic(params, client_id, client_secret)
