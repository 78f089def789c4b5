"""Connecting stores: token checked against the (sandbox) shop, stored encrypted, never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxShopify
from hub.bootstrap import Hub
from hub.db.models import Store
from hub.errors import Conflict, NotFound, UserError
from hub.services import stores
from hub.services.intake import ingest_orders
from tests.factories import make_order


@pytest.fixture
def sandbox() -> SandboxShopify:
    return SandboxShopify()


@pytest.fixture
def shop_hub(sqlite_hub: Hub, sandbox: SandboxShopify) -> Hub:
    sqlite_hub.connectors = ConnectorRegistry(shopify_transport=sandbox.transport())
    return sqlite_hub


def test_add_verifies_the_token_and_keeps_it_encrypted(shop_hub: Hub, sandbox: SandboxShopify) -> None:
    view = stores.add_shopify_store(shop_hub, stores.NewShopifyStore(
        shop=sandbox.config.shop_domain, token=sandbox.config.access_token, webhook_secret="whsec"))
    assert view["name"] == sandbox.config.shop_name and view["currency"] == "USD"
    assert view["webhook_secret_set"] is True
    assert "token" not in str(stores.list_stores(shop_hub.db))
    with shop_hub.db.transaction() as session:
        raw = " ".join(str(v) for v in session.execute(text("SELECT * FROM stores")).one())
        store = session.execute(select(Store)).scalar_one()
    assert sandbox.config.access_token not in raw and "whsec" not in raw
    assert shop_hub.cipher.decrypt(store.access_token_encrypted or "") == sandbox.config.access_token
    creds = stores.credentials(shop_hub, view["id"])
    assert sandbox.config.access_token not in repr(creds)
    with pytest.raises(Conflict):
        stores.add_shopify_store(shop_hub, stores.NewShopifyStore(
            shop=sandbox.config.shop_domain, token=sandbox.config.access_token))


def test_bad_input_is_refused_before_anything_is_stored(shop_hub: Hub, sandbox: SandboxShopify) -> None:
    for shop in ("evil.com", "-x.myshopify.com", "a.myshopify.com.evil.com", ""):
        with pytest.raises(UserError, match="not a Shopify shop domain"):
            stores.add_shopify_store(shop_hub, stores.NewShopifyStore(shop=shop, token="t"))
    with pytest.raises(UserError, match="could not verify"):
        stores.add_shopify_store(shop_hub, stores.NewShopifyStore(shop=sandbox.config.shop_domain, token="wrong"))
    with pytest.raises(UserError, match="API version"):
        stores.add_shopify_store(shop_hub, stores.NewShopifyStore(shop="a.myshopify.com", token="t",
                                                                  api_version="2026-13", verify=False))
    assert stores.list_stores(shop_hub.db) == []
    unverified = stores.add_shopify_store(shop_hub, stores.NewShopifyStore(
        shop="Other.myshopify.com", token="t", verify=False, currency="eur"))
    assert unverified["shop_domain"] == "other.myshopify.com" and unverified["currency"] == "EUR"


def test_remove_deletes_or_keeps_history_without_credentials(shop_hub: Hub) -> None:
    empty = stores.add_shopify_store(shop_hub, stores.NewShopifyStore(shop="a.myshopify.com", token="t",
                                                                      verify=False))
    used = stores.add_shopify_store(shop_hub, stores.NewShopifyStore(shop="b.myshopify.com", token="t",
                                                                     verify=False))
    ingest_orders(shop_hub.db, used["id"], [make_order("1")], "pull")
    assert stores.remove_store(shop_hub.db, empty["id"]) == "deleted"
    assert stores.remove_store(shop_hub.db, used["id"]) == "removed"
    assert [(s["id"], s["status"]) for s in stores.list_stores(shop_hub.db)] == [(used["id"], "removed")]
    with pytest.raises(NotFound):
        stores.credentials(shop_hub, used["id"])
    with pytest.raises(NotFound):
        stores.remove_store(shop_hub.db, 999)


@pytest.mark.parametrize("token", ["shpat_é123", "shpat_\x00abc", "shpat_abc\n"])
def test_a_token_no_shop_could_have_issued_is_refused_before_any_call(shop_hub: Hub, sandbox: SandboxShopify,
                                                                     token: str) -> None:
    """A non-ASCII token used to crash the HTTP client (a traceback at the CLI, a 500 at the API)."""
    requests_before = sandbox.stats["requests"]
    with pytest.raises(UserError, match="access token"):
        stores.add_shopify_store(shop_hub, stores.NewShopifyStore(shop=sandbox.config.shop_domain, token=token))
    assert sandbox.stats["requests"] == requests_before
