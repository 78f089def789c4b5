"""Emulated Shopify Admin GraphQL API (the subset the hub uses), with Shopify's cost limits.

sandbox = SandboxShopify(SandboxConfig(orders=100))
client = ShopifyClient(sandbox.config.shop_domain, sandbox.config.access_token,
                       transport=sandbox.transport(), base_url="http://sandbox")
app = create_app(sandbox)  # the same shop as ASGI, to mount at /sandbox/shopify
"""

from connectors.shopify.sandbox.asgi import create_app
from connectors.shopify.sandbox.config import Faults, SandboxConfig
from connectors.shopify.sandbox.server import Reply, SandboxShopify

__all__ = ["Faults", "Reply", "SandboxConfig", "SandboxShopify", "create_app"]
