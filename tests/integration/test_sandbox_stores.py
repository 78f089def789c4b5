"""HUB_SANDBOX_STORES: `hub run --sandbox` emulates several shops, each its own store with its own
domain, token, webhook secret, orders and state file, mounted side by side; one (the default) is
the `make run` shop as before."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from connectors.registry import ConnectorRegistry
from hub.bootstrap import Hub
from hub.db.models import Order, Store
from hub.sandbox_mode import MOUNT, SandboxRuntime
from hub.services.pull import pull_orders
from tests.live import live_server

SHOP_QUERY = '{"query": "{ shop { name } }"}'


def _shop_name(client: httpx.Client, mount: str, token: str) -> httpx.Response:
    return client.post(f"{mount}/admin/api/2026-10/graphql.json", content=SHOP_QUERY,
                       headers={"X-Shopify-Access-Token": token, "Content-Type": "application/json"})


def test_one_store_by_default(sqlite_hub: Hub) -> None:
    runtime = SandboxRuntime(sqlite_hub, "http://127.0.0.1:9")
    assert list(runtime.shops) == [MOUNT] and runtime.store_ids == [runtime.store_id]
    assert sorted(p.name for p in (sqlite_hub.settings.var_dir / "sandbox").glob("shop*.json")) == ["shop.json"]


def test_each_sandbox_store_is_its_own_shop(sqlite_hub: Hub) -> None:
    sqlite_hub.settings.sandbox_stores = 3
    sqlite_hub.settings.sandbox_history_orders = 4
    runtime = SandboxRuntime(sqlite_hub, "http://127.0.0.1:9")
    assert list(runtime.shops) == [MOUNT, f"{MOUNT}-2", f"{MOUNT}-3"]
    configs = [shop.config for shop in runtime.shops.values()]
    for attribute in ("shop_domain", "access_token", "webhook_secret"):
        assert len({getattr(c, attribute) for c in configs}) == 3, attribute
    with sqlite_hub.db.read() as session:
        stores = dict(session.execute(select(Store.shop_domain, Store.api_base_url)).all())
    assert stores == {c.shop_domain: f"http://127.0.0.1:9{mount}" for c, mount in zip(configs, runtime.shops)}
    assert sorted(p.name for p in (sqlite_hub.settings.var_dir / "sandbox").glob("shop*.json")) == [
        "shop-2.json", "shop-3.json", "shop.json"]

    app = FastAPI()
    runtime.mount(app)
    with live_server(app) as url, httpx.Client(base_url=url, timeout=5) as client:
        for config, mount in zip(configs, runtime.shops):
            assert _shop_name(client, mount, config.access_token).json()["data"]["shop"]["name"] == config.shop_name
        assert _shop_name(client, f"{MOUNT}-2", configs[0].access_token).status_code == 401

    # The in-process transport reaches each store's own shop: a pull brings each its own history.
    sqlite_hub.connectors = ConnectorRegistry(shopify_transport=runtime.transport())
    for store_id in runtime.store_ids:
        pull_orders(sqlite_hub, store_id)
    with sqlite_hub.db.read() as session:
        held = session.execute(select(Store.shop_domain, Order.external_id).join(Order, Order.store_id == Store.id)
                               ).all()
    expected = {(c.shop_domain, str(o.id)) for c, shop in zip(configs, runtime.shops.values())
                for o in shop.data.orders}
    assert len(expected) == 12 and set(held) == expected and len(held) == 12
