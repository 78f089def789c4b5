"""Connector kind → adapter factory: the only place the core learns which adapters exist."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connectors.http import RetryPolicy
from connectors.shopify import oauth
from connectors.shopify.client import ShopifyClient
from connectors.shopify.mappers import order_from_rest
from connectors.shopify.webhooks import verify_webhook
from connectors.suppliers.cj import CJ_BASE_URL, CJSupplier
from connectors.suppliers.csv_po import CsvPurchaseOrderSupplier, PurchaseOrderFolder
from connectors.suppliers.csv_po.answers import AnswerFile, parse_answer_file
from connectors.suppliers.sandbox import SandboxSupplier
from hub.domain.orders import OrderIn
from hub.ports import StoreCredentials, Storefront, Supplier

SUPPLIER_KINDS = ("sandbox", "cj", "csv_po")
SANDBOX_SUPPLIER_URL = "http://sandbox-supplier"


class ConnectorRegistry:
    """Builds storefront and supplier clients. `shopify_transport` routes Shopify calls in-process
    (sandbox, tests); `supplier_transports` does the same for suppliers, looked up by the supplier
    config's `code`, then its `base_url`, then the kind (so two sandbox suppliers can differ).
    `retry` replaces each client's own retry policy (tests inject one whose sleep does not wait)."""

    def __init__(self, shopify_transport: httpx.BaseTransport | None = None,
                 supplier_transports: Mapping[str, httpx.BaseTransport] | None = None,
                 retry: RetryPolicy | None = None) -> None:
        self.shopify_transport = shopify_transport
        self.supplier_transports = dict(supplier_transports or {})
        self.retry = retry

    def supplier(self, kind: str, config: Mapping[str, Any], secrets: Mapping[str, str]) -> Supplier:
        """The adapter for one supplier. Config per kind (secrets are decrypted by the caller):

        sandbox: base_url (default http://sandbox-supplier), idempotency (default true: false for a
                 sandbox that ignores keys); secrets: api_key (optional)
        cj:      secrets: api_key (required); base_url, logistic_name, from_country_code ("CN"),
                 pay_type (2: pay from balance), platform, requests_per_second (1: CJ's Free level)
        csv_po:  folder (required), code (the supplier code: the sub-folder of its batches)
        """
        transport = self._supplier_transport(kind, config)
        if kind == "sandbox":
            return SandboxSupplier(str(config.get("base_url") or SANDBOX_SUPPLIER_URL),
                                   api_key=secrets.get("api_key") or None, transport=transport, retry=self.retry,
                                   honours_idempotency_key=str(config.get("idempotency", True)).lower()
                                   not in ("false", "0", "no"))
        if kind == "cj":
            api_key = secrets.get("api_key")
            if not api_key:
                raise ValueError("a cj supplier needs secrets['api_key'] (its CJ API key)")
            return CJSupplier(
                api_key,
                base_url=str(config.get("base_url") or CJ_BASE_URL),
                transport=transport,
                logistic_name=config.get("logistic_name") or None,
                from_country_code=str(config.get("from_country_code") or "CN"),
                pay_type=int(config.get("pay_type") or 2),
                platform=config.get("platform") or None,
                requests_per_second=float(config.get("requests_per_second") or 1.0),
                retry=self.retry,
            )
        if kind == "csv_po":
            folder, code = config.get("folder"), config.get("code") or config.get("supplier_code")
            if not folder or not code:
                raise ValueError("a csv_po supplier needs config 'folder' and 'code'")
            return CsvPurchaseOrderSupplier(str(code), PurchaseOrderFolder(str(folder)))
        raise ValueError(f"no supplier connector of kind {kind!r}; known kinds: {', '.join(SUPPLIER_KINDS)}")

    def _supplier_transport(self, kind: str, config: Mapping[str, Any]) -> httpx.BaseTransport | None:
        for key in (config.get("code"), config.get("base_url"), kind):
            if key and str(key) in self.supplier_transports:
                return self.supplier_transports[str(key)]
        return None

    def storefront(self, credentials: StoreCredentials) -> Storefront:
        if credentials.platform != "shopify":
            raise ValueError(f"no storefront connector for platform {credentials.platform!r}")
        return ShopifyClient(credentials.shop_domain, credentials.access_token, credentials.api_version,
                             transport=self.shopify_transport, base_url=credentials.base_url, retry=self.retry)

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

    @staticmethod
    def parse_shipment_file(content: bytes) -> AnswerFile:
        """A supplier's tracking CSV (reference, tracking_number, carrier, tracking_url, sku, quantity)."""
        return parse_answer_file(content)

    @staticmethod
    def purchase_order_folder(path: str) -> PurchaseOrderFolder:
        return PurchaseOrderFolder(path)
