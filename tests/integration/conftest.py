from __future__ import annotations

import pytest

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from hub.bootstrap import Hub
from hub.services import stores


@pytest.fixture
def sandbox() -> SandboxShopify:
    # A roomy cost bucket: these tests are about intake, not about pacing (tests/connectors cover that).
    return SandboxShopify(SandboxConfig(orders=40, bucket_size=1_000_000, restore_rate=1_000_000))


@pytest.fixture
def connected(hub: Hub, sandbox: SandboxShopify) -> tuple[Hub, int]:
    """A hub (each backend) with the sandbox shop connected as a store; returns (hub, store id)."""
    hub.connectors = ConnectorRegistry(shopify_transport=sandbox.transport())
    hub.settings.orders_initial_lookback_days = 3650  # the sandbox seeds orders dated 2026-01-01
    view = stores.add_shopify_store(hub, stores.NewShopifyStore(
        shop=sandbox.config.shop_domain, token=sandbox.config.access_token,
        webhook_secret=sandbox.config.webhook_secret))
    return hub, int(view["id"])
