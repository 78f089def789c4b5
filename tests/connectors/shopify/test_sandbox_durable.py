"""The sandbox shop of `hub run --sandbox` across restarts: its state file brings back every record,
ids and webhook ids never repeat, a corrupt file costs one log line; seeded history dates."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.http import RetryPolicy
from connectors.shopify.budget import CostBudget
from connectors.shopify.client import ShopifyClient
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify, snapshot
from connectors.shopify.sandbox.data import EPOCH
from connectors.shopify.sandbox.durable import DurableSandboxShopify
from hub.domain.storefront import FulfillmentLineRequest, InventoryQuantity, Tracking, VariantPrice
from tests.connectors.shopify.conftest import FakeClock

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOOK = "http://hub.test/webhooks/shopify"
ROOMY = {"bucket_size": 1e9, "restore_rate": 1e9}


def start(path: Path, **kw: Any) -> DurableSandboxShopify:
    """A (re)start of the shop on its state file, as `hub run --sandbox` does."""
    known = kw.pop("known_to_hub", False)
    floor = kw.pop("number_floor", 0)
    return DurableSandboxShopify(SandboxConfig(**{**ROOMY, **kw}), path, known_to_hub=known, number_floor=floor,
                                 now=lambda: NOW, clock=FakeClock(), sleep=lambda _s: None)


def client_for(shop: SandboxShopify) -> ShopifyClient:
    clock = FakeClock()
    return ShopifyClient(shop.config.shop_domain, shop.config.access_token, transport=shop.transport(),
                         base_url="http://sandbox", retry=RetryPolicy(sleep=clock.sleep),
                         budget=CostBudget(clock=clock, sleep=clock.sleep))


def deliver(shop: SandboxShopify) -> list[httpx.Request]:
    received: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(hub)) as http:
        shop.deliver_webhooks(http)
    return received


def everything(shop: SandboxShopify) -> dict[str, Any]:
    """What the hub can read of the shop, through its own client."""
    client = client_for(shop)
    orders = list(client.orders(page_size=50))
    return {
        "orders": orders,
        "fulfillment_orders": [client.fulfillment_orders(o.external_id) for o in orders],
        "payments": [client.order_payments(o.external_id) for o in orders],
        "payouts": [(p, list(client.balance_transactions(p.payout_id))) for p in client.payouts()],
        "variants": list(client.products_and_variants()),
        "locations": client.locations(),
        "fulfillments": [client.order_fulfillments(o.external_id) for o in orders],
        "webhooks": client.webhooks(),
    }


def busy_shop(path: Path) -> DurableSandboxShopify:
    """A shop that went through every kind of change the hub or a test can make."""
    shop = start(path, orders=10, order_discount_rate=1.0)
    client = client_for(shop)
    client.register_webhooks(HOOK, ["orders/create", "orders/updated"])
    order = shop.data.orders[0]
    (fo,) = client.fulfillment_orders(str(order.id))
    client.create_fulfillment([FulfillmentLineRequest(fo.fulfillment_order_id, ln.fulfillment_order_line_id)
                               for ln in fo.lines], Tracking("1Z1", "UPS", "https://ups.test/1Z1"))
    variant = shop.data.variants[0]
    location = shop.data.locations[0]
    client.set_inventory([InventoryQuantity(str(variant.inventory_item_id), str(location.id), 7)])
    client.update_variant_prices([VariantPrice(str(variant.id), str(variant.product_id), Decimal("12.34"))])
    second = shop.data.orders[1]
    shop.refund_order(second, NOW, [(second.lines[0], 1)], shipping=True, adjustment=Decimal("1.50"))
    shop.cancel_order(shop.data.orders[2], NOW)
    shop.settle_payouts(NOW)
    shop.create_orders(3, NOW)  # their webhooks stay queued: not delivered before the "kill"
    return shop


def test_a_restarted_shop_is_the_shop_it_was(tmp_path: Path) -> None:
    before = busy_shop(tmp_path / "shop.json")
    after = start(tmp_path / "shop.json", orders=10, order_discount_rate=1.0)  # the first one was "killed"
    assert snapshot.dump(after.data) == snapshot.dump(before.data)
    assert everything(after) == everything(before)
    assert after.pending_webhooks() == before.pending_webhooks() > 0
    resent, sent = deliver(after), deliver(before)
    assert [(r.url, dict(r.headers), r.content) for r in resent] == [(r.url, dict(r.headers), r.content) for r in sent]
    def fulfilled(shop: SandboxShopify) -> set[int]:
        return {o.id for o in shop.data.orders if o.fulfillment_status == "FULFILLED"}

    assert fulfilled(after) == fulfilled(before) and len(fulfilled(before)) == 3  # 2 seeded, 1 by the hub


def test_ids_order_numbers_and_webhook_ids_never_repeat_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    ids: list[int] = []
    numbers: list[int] = []
    webhook_ids: list[str] = []
    for _ in range(4):
        shop = start(path, orders=5)
        client_for(shop).register_webhooks(HOOK, ["orders/create"])
        created = shop.create_orders(3, NOW)
        ids += [o.id for o in created]
        numbers += [o.number for o in created]
        webhook_ids += [r.headers["X-Shopify-Webhook-Id"] for r in deliver(shop)]
    assert len(set(ids)) == len(ids) == 12
    assert len(set(numbers)) == len(numbers) and numbers == sorted(numbers)
    assert len(set(webhook_ids)) == len(webhook_ids) == 12
    assert len(start(path, orders=5).data.orders) == 5 + 12  # the history was seeded once, nothing doubled


def test_a_webhook_in_flight_at_a_kill_is_still_queued_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shop.json"
    shop = start(path, orders=1)
    client_for(shop).register_webhooks(HOOK, ["orders/create"])
    shop.create_orders(1, NOW)
    seen_by_a_restart: list[int] = []

    def hub(request: httpx.Request) -> httpx.Response:
        seen_by_a_restart.append(start(path, orders=1).pending_webhooks())  # killed right now: what is kept?
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(hub)) as http:
        shop.deliver_webhooks(http)
    assert seen_by_a_restart == [1]
    assert start(path, orders=1).pending_webhooks() == 0  # answered: not sent again


@pytest.mark.parametrize("content", [b"{not json", b"", json.dumps({"format": 1, "kind": "sandbox-shop",
                                                                      "state": {"shop": {}}}).encode(),
                                     json.dumps({"format": 99, "kind": "sandbox-shop", "state": {}}).encode()])
def test_a_corrupt_state_file_costs_one_log_line_and_ids_still_never_repeat(
        tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "shop.json"
    first = start(path, orders=5)
    client_for(first).register_webhooks(HOOK, ["orders/create"])
    first.create_orders(2, NOW)
    old_ids = {o.id for o in first.data.orders} | {ln.id for o in first.data.orders for ln in o.lines}
    old_hooks = {r.headers["X-Shopify-Webhook-Id"] for r in deliver(first)}
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        again = start(path, orders=5, known_to_hub=True, number_floor=first.data.orders[-1].number)
    (record,) = [r for r in caplog.records if r.name.startswith("connectors")]
    assert "starting a fresh shop" in record.getMessage() and record.exc_info is None
    assert [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]  # kept for a look
    assert again.data.orders == []  # no second history: the hub already has the first one
    assert [v.id for v in again.data.variants] == [v.id for v in first.data.variants]  # listings still match
    client_for(again).register_webhooks(HOOK, ["orders/create"])
    (order,) = again.create_orders(1, NOW)
    assert order.id not in old_ids and all(ln.id not in old_ids for ln in order.lines)
    assert order.number == first.data.orders[-1].number + 1
    (hook,) = deliver(again)
    assert hook.headers["X-Shopify-Webhook-Id"] not in old_hooks


def test_no_file_but_orders_known_to_the_hub_starts_without_history_above_them(tmp_path: Path) -> None:
    old = SandboxShopify(SandboxConfig(orders=5))  # a run before state files existed
    shop = start(tmp_path / "shop.json", orders=5, known_to_hub=True, number_floor=1005)
    (order,) = shop.create_orders(1, NOW)
    assert shop.data.orders == [order] and order.number == 1006
    assert order.id > max(o.id for o in old.data.orders) + 10**9


def test_a_new_port_moves_subscriptions_and_queued_webhooks(tmp_path: Path) -> None:
    shop = start(tmp_path / "shop.json", orders=1)
    client_for(shop).register_webhooks("http://127.0.0.1:8000/webhooks/shopify", ["orders/create"])
    shop.create_orders(1, NOW)
    shop.move_webhooks("http://127.0.0.1:8001/webhooks/shopify")
    client_for(shop).register_webhooks("http://127.0.0.1:8001/webhooks/shopify", ["orders/create"])
    assert [w.callback_url for w in shop.data.webhooks] == ["http://127.0.0.1:8001/webhooks/shopify"]
    (request,) = deliver(start(tmp_path / "shop.json", orders=1))
    assert str(request.url) == "http://127.0.0.1:8001/webhooks/shopify"


def test_seeded_history_is_spread_over_the_30_days_up_to_the_given_end() -> None:
    end = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    shop = SandboxShopify(SandboxConfig(orders=50, history_end=end))
    created = [o.created_at for o in shop.data.orders]
    assert created == sorted(created) and len(created) == 50
    assert created[0] == end - timedelta(days=30) and end - timedelta(minutes=2) < created[-1] < end
    assert {c.date() for c in created} >= {end.date(), (end - timedelta(days=15)).date()}  # spread, not bunched
    fulfilled = [f.created_at for o in shop.data.orders for f in o.fulfillments]
    assert len(fulfilled) == 10 and max(fulfilled) < end
    assert all(p.issued_at <= end for p in shop.data.payouts)


def test_default_history_stays_at_the_fixed_epoch() -> None:
    shop = SandboxShopify(SandboxConfig(orders=3))
    assert [o.created_at for o in shop.data.orders] == [EPOCH + timedelta(minutes=7 * i) for i in range(3)]


def test_max_orders_stops_the_shop_selling() -> None:
    moments = iter(NOW + timedelta(minutes=m) for m in (0, 10, 20))
    shop = SandboxShopify(SandboxConfig(orders=2, orders_per_minute=1, max_orders=6), now=lambda: next(moments))
    assert shop.tick() == 0
    assert shop.tick() == 4 and len(shop.data.orders) == 6
    assert shop.tick() == 0 and len(shop.data.orders) == 6
