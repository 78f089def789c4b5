"""The sandbox: Shopify's cost accounting and throttling, auth, faults, mutations, webhooks, ASGI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from connectors.http import RetryPolicy
from connectors.shopify import documents, querycost
from connectors.shopify.budget import CostBudget
from connectors.shopify.client import ShopifyClient
from connectors.shopify.errors import ShopifyGraphQLError, ShopifyUserErrors
from connectors.shopify.mappers import order_from_rest
from connectors.shopify.sandbox import Faults, SandboxConfig, SandboxShopify, create_app
from connectors.shopify.webhooks import verify_webhook
from hub.domain.storefront import InventoryQuantity, VariantPrice
from tests.connectors.shopify.conftest import FakeClock

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def make(clock: FakeClock | None = None, **kw: Any) -> SandboxShopify:
    clock = clock or FakeClock()
    sandbox = SandboxShopify(SandboxConfig(**kw), clock=clock, now=lambda: NOW, sleep=clock.sleep)
    sandbox.test_clock = clock  # type: ignore[attr-defined]
    return sandbox


def post(
    sandbox: SandboxShopify,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    version: str = "2026-10",
) -> httpx.Response:
    with httpx.Client(transport=sandbox.transport(), base_url="http://sandbox") as http:
        return http.post(
            f"/admin/api/{version}/graphql.json",
            json={"query": query, "variables": variables or {}},
            headers={"X-Shopify-Access-Token": token or sandbox.config.access_token},
        )


def client_for(sandbox: SandboxShopify, version: str = "2026-10", **kw: Any) -> ShopifyClient:
    clock: FakeClock = sandbox.test_clock  # type: ignore[attr-defined]  # one time line for both sides
    return ShopifyClient(
        sandbox.config.shop_domain,
        sandbox.config.access_token,
        api_version=version,
        transport=sandbox.transport(),
        base_url="http://sandbox",
        retry=kw.pop("retry", RetryPolicy(sleep=clock.sleep)),
        budget=CostBudget(clock=clock, sleep=clock.sleep),
        **kw,
    )


ORDERS_Q = documents.load("Orders").text


def test_cost_model_requested_and_actual() -> None:
    sandbox = make(orders=4, lines_per_order=2)
    body = post(sandbox, ORDERS_Q, {"first": 10, "linesFirst": 3}).json()
    cost = body["extensions"]["cost"]
    # per order: 1 + five money bags (2 each) + two addresses (1 each) + lines connection
    # (2 + linesFirst x (1 + two money bags + variant + product)), connection 2 + first x order
    per_order_requested = 1 + 10 + 2 + 2 + 3 * (1 + 4 + 2)
    assert cost["requestedQueryCost"] == 2 + 10 * per_order_requested
    per_order_actual = 1 + 10 + 2 + 2 + 2 * (1 + 4 + 2)
    assert cost["actualQueryCost"] == 2 + 4 * per_order_actual
    assert cost["throttleStatus"] == {
        "maximumAvailable": 2000.0,
        "currentlyAvailable": 2000.0 - cost["actualQueryCost"],
        "restoreRate": 100.0,
    }
    assert len(body["data"]["orders"]["nodes"]) == 4


def test_mutations_cost_ten_and_scalars_nothing() -> None:
    assert querycost.estimate(documents.load("FulfillmentCreate").text) == 10
    assert querycost.estimate("query { shop { name currencyCode } }") == 1
    assert querycost.estimate("query { shop { name plan { displayName } } }") == 2


def test_bucket_refuses_with_the_exact_throttled_shape_then_refills() -> None:
    clock = FakeClock()
    sandbox = make(clock, orders=30, lines_per_order=1, bucket_size=500, restore_rate=50)
    variables = {"first": 20, "linesFirst": 1}
    first = post(sandbox, ORDERS_Q, variables)
    assert first.status_code == 200 and first.json()["extensions"]["cost"]["actualQueryCost"] == 2 + 20 * 22
    refused = post(sandbox, ORDERS_Q, variables)
    assert refused.status_code == 200
    body = refused.json()
    assert "data" not in body
    assert body["errors"] == [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ]
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 442,
        "actualQueryCost": None,
        "throttleStatus": {"maximumAvailable": 500.0, "currentlyAvailable": 58.0, "restoreRate": 50.0},
    }
    clock.advance((442 - 58) / 50 - 0.1)
    assert "data" not in post(sandbox, ORDERS_Q, variables).json()
    clock.advance(0.1)
    assert "data" in post(sandbox, ORDERS_Q, variables).json()
    assert sandbox.stats["throttled"] == 2


def test_a_query_over_1000_points_is_refused() -> None:
    sandbox = make(orders=1)
    body = post(sandbox, ORDERS_Q, {"first": 100, "linesFirst": 10}).json()
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    with pytest.raises(ShopifyGraphQLError, match="exceeds the single query max cost"):
        client_for(sandbox).execute(ORDERS_Q, {"first": 100, "linesFirst": 10})


def test_wrong_token_is_401_and_unknown_path_404() -> None:
    sandbox = make(orders=1)
    assert post(sandbox, "query { shop { name } }", token="shpat_wrong").status_code == 401
    with httpx.Client(transport=sandbox.transport()) as http:
        assert http.post("http://sandbox/admin/api/2026-10/products.json").status_code == 404


def test_client_pulls_every_order_and_line_through_the_sandbox() -> None:
    sandbox = make(orders=45, lines_per_order=4)
    client = client_for(sandbox)
    orders = list(client.orders(page_size=10, lines_per_order=3))  # 4th line comes from OrderLineItems
    assert [o.external_id for o in orders] == [str(o.id) for o in sandbox.data.orders]
    assert all(len(o.lines) == 4 for o in orders)
    assert sandbox.stats["op:OrderLineItems"] == 45
    assert orders[0] == client.order(orders[0].external_id)


def test_graphql_and_webhook_channels_give_the_same_order() -> None:
    sandbox = make(orders=3)
    client = client_for(sandbox)
    client.register_webhooks("http://hub.test/webhooks/shopify", ["orders/create"])
    sandbox.create_orders(2)
    received: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    with httpx.Client(transport=httpx.MockTransport(hub)) as http:
        responses = sandbox.deliver_webhooks(http)
    assert [r.status_code for r in responses] == [200, 200] and sandbox.pending_webhooks() == 0
    for request in received:
        raw = request.read()
        assert verify_webhook(raw, request.headers["X-Shopify-Hmac-Sha256"], sandbox.config.webhook_secret)
        assert request.headers["X-Shopify-Topic"] == "orders/create"
        assert request.headers["X-Shopify-Shop-Domain"] == sandbox.config.shop_domain
        assert request.headers["X-Shopify-Webhook-Id"] and request.headers["X-Shopify-Triggered-At"]
        from_webhook = order_from_rest(json.loads(raw))
        pulled = client.order(from_webhook.external_id)
        assert pulled is not None and pulled.fingerprint() == from_webhook.fingerprint()
        assert pulled == from_webhook


def test_failed_webhook_deliveries_stay_queued() -> None:
    sandbox = make(orders=1)
    client_for(sandbox).register_webhooks("http://hub.test/hook", ["orders/create"])
    sandbox.create_orders(1)
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as http:
        sandbox.deliver_webhooks(http)
    assert sandbox.pending_webhooks() == 1


def test_register_webhooks_is_idempotent() -> None:
    sandbox = make(orders=1)
    client = client_for(sandbox)
    first = client.register_webhooks("http://hub.test/hook", ["orders/create", "orders/updated"])
    again = client.register_webhooks("http://hub.test/hook", ["orders/create", "orders/updated"])
    assert first == again and len(sandbox.data.webhooks) == 2


def test_tick_creates_orders_over_time() -> None:
    moments = iter([datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 12, 10, tzinfo=UTC)])
    sandbox = SandboxShopify(SandboxConfig(orders=1, orders_per_minute=0.5), now=lambda: next(moments))
    assert sandbox.tick() == 0
    assert sandbox.tick() == 5 and len(sandbox.data.orders) == 6


def test_fulfillment_mutation_changes_state() -> None:
    sandbox = make(orders=2)
    client = client_for(sandbox)
    order_id = str(sandbox.data.orders[0].id)
    (fo,) = client.fulfillment_orders(order_id)
    from hub.domain.storefront import FulfillmentLineRequest, Tracking

    result = client.create_fulfillment(
        [FulfillmentLineRequest(fo.fulfillment_order_id, ln.fulfillment_order_line_id) for ln in fo.lines],
        Tracking("1Z999", "UPS", "https://ups.test/1Z999"),
    )
    assert result.tracking.number == "1Z999"
    (after,) = client.fulfillment_orders(order_id)
    assert after.status == "closed" and all(ln.remaining_quantity == 0 for ln in after.lines)
    again = [FulfillmentLineRequest(fo.fulfillment_order_id, fo.lines[0].fulfillment_order_line_id, 1)]
    with pytest.raises(ShopifyUserErrors, match="quantity"):
        client.create_fulfillment(again)


def _slot(sandbox: SandboxShopify, index: int = 0) -> tuple[int, int]:
    variant = sandbox.data.variants[index]
    return variant.inventory_item_id, sandbox.data.locations[0].id


def test_inventory_older_shape_compare_quantity() -> None:
    sandbox = make(orders=1)
    client = client_for(sandbox, version="2026-01")
    item, location = _slot(sandbox)
    current = sandbox.data.inventory[(item, location)]
    client.set_inventory([InventoryQuantity(str(item), str(location), current + 5, expected=current)])
    assert sandbox.data.inventory[(item, location)] == current + 5
    with pytest.raises(ShopifyUserErrors, match="changed since"):
        client.set_inventory([InventoryQuantity(str(item), str(location), 1, expected=current)])
    client.set_inventory([InventoryQuantity(str(item), str(location), 1)])  # ignoreCompareQuantity
    assert sandbox.data.inventory[(item, location)] == 1


def test_inventory_newer_shape_is_idempotent_by_key() -> None:
    sandbox = make(orders=1)
    client = client_for(sandbox, version="2026-10")
    item, location = _slot(sandbox)
    batch = [InventoryQuantity(str(item), str(location), 17)]
    client.set_inventory(batch)
    assert sandbox.data.inventory[(item, location)] == 17
    sandbox.data.inventory[(item, location)] = 3  # a sale happens meanwhile
    client.set_inventory(batch)  # a replay of the same batch: same key, applied once
    assert sandbox.data.inventory[(item, location)] == 3
    with pytest.raises(ShopifyUserErrors, match="changed since"):
        client.set_inventory([InventoryQuantity(str(item), str(location), 9, expected=17)])


def test_newer_version_refuses_the_older_shape() -> None:
    sandbox = make(orders=1)
    item, location = _slot(sandbox)
    body = post(
        sandbox,
        documents.load("InventorySetQuantities").text,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "ignoreCompareQuantity": True,
                "quantities": [
                    {
                        "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
                        "locationId": f"gid://shopify/Location/{location}",
                        "quantity": 1,
                    }
                ],
            }
        },
    ).json()
    assert body["data"]["inventorySetQuantities"]["userErrors"]


def test_set_inventory_batches_at_250() -> None:
    sandbox = make(orders=1, products=100, variants_per_product=6)
    client = client_for(sandbox)
    location = sandbox.data.locations[0].id
    quantities = [
        InventoryQuantity(str(v.inventory_item_id), str(location), 4) for v in sandbox.data.variants
    ]
    assert client.set_inventory(quantities) == 600
    assert sandbox.stats["op:InventorySetQuantities"] == 3
    assert all(sandbox.data.inventory[(v.inventory_item_id, location)] == 4 for v in sandbox.data.variants)


def test_update_variant_prices_one_call_per_product() -> None:
    from decimal import Decimal

    sandbox = make(orders=1)
    client = client_for(sandbox)
    variants = sandbox.data.variants[:4]  # products 1 and 2
    prices = [VariantPrice(str(v.id), str(v.product_id), Decimal("12.34")) for v in variants]
    assert client.update_variant_prices(prices) == 4
    assert sandbox.stats["op:ProductVariantsBulkUpdate"] == len({v.product_id for v in variants})
    listed = {v.variant_id: v.price for v in client.products_and_variants()}
    assert all(listed[str(v.id)] == Decimal("12.34") for v in variants)


def test_payments_reads() -> None:
    sandbox = make(orders=30)
    client = client_for(sandbox)
    payouts = list(client.payouts())
    assert len(payouts) == 2
    rows = list(client.balance_transactions(payouts[0].payout_id))
    assert len(rows) == 25 and all(r.payout_id == payouts[0].payout_id for r in rows)
    assert sum((r.net.amount for r in rows), 0) == payouts[0].net.amount
    (sale,) = client.order_payments(rows[0].order_id or "").transactions
    assert sale.kind == "sale" and sale.total_fees.amount == rows[0].fee.amount


def test_refunds_are_read_with_their_tax_and_shipping_and_payouts_still_reconcile() -> None:
    from datetime import timedelta
    from decimal import Decimal

    sandbox = make(orders=3, order_discount_rate=1.0)
    client = client_for(sandbox)
    order = sandbox.data.orders[0]
    at = order.created_at + timedelta(hours=1)
    partial = sandbox.refund_order(order, at, [(order.lines[0], 1)], shipping=True, adjustment=Decimal("2.50"))
    sandbox.cancel_order(order, at + timedelta(hours=1))
    payments = client.order_payments(str(order.id))
    assert [t.kind for t in payments.transactions] == ["sale", "refund", "refund"]
    first, rest = payments.refunds
    assert first.refund_id == str(partial.id) and first.transaction_ids == (str(partial.transaction.id),)
    assert first.total.amount == partial.total and first.line_tax.amount == partial.lines[0].tax
    assert first.shipping.amount == order.shipping and first.goods.amount == partial.lines[0].subtotal + Decimal("2.50")
    assert sum((r.total.amount for r in payments.refunds), Decimal(0)) == order.total
    assert first.line_tax.amount + rest.line_tax.amount == order.tax
    sandbox.settle_payouts(at + timedelta(days=1))
    for payout in client.payouts():
        rows = list(client.balance_transactions(payout.payout_id))
        assert sum((r.net.amount for r in rows), Decimal(0)) == payout.net.amount


def test_a_refund_with_more_line_items_than_one_page_is_refused_not_read_short() -> None:
    from connectors.shopify.errors import ShopifyMappingError
    from connectors.shopify.resource_mappers import refund_from_graphql

    money = {"shopMoney": {"amount": "10.00", "currencyCode": "USD"}}
    node = {"id": "gid://shopify/Refund/5", "createdAt": "2026-11-01T10:00:00Z", "totalRefundedSet": money,
            "refundLineItems": {"pageInfo": {"hasNextPage": True}, "nodes": [{"quantity": 1, "totalTaxSet": money}]},
            "refundShippingLines": {"nodes": []}, "transactions": {"nodes": []}}
    with pytest.raises(ShopifyMappingError, match="more refund line items"):
        refund_from_graphql(node, "1")
    node["refundLineItems"] = {"pageInfo": {"hasNextPage": False}, "nodes": [{"quantity": 1, "totalTaxSet": money}]}
    assert refund_from_graphql(node, "1").goods.amount == 0


@pytest.mark.parametrize("kind", ["429", "throttled", "5xx", "timeout", "malformed"])
def test_each_fault_kind(kind: str) -> None:
    sandbox = make(orders=1, faults=Faults(rates={kind: 1.0}))
    with httpx.Client(transport=sandbox.transport(), base_url="http://sandbox") as http:

        def call() -> httpx.Response:
            return http.post(
                "/admin/api/2026-10/graphql.json",
                json={"query": "{ shop { name } }"},
                headers={"X-Shopify-Access-Token": sandbox.config.access_token},
            )

        if kind == "timeout":
            with pytest.raises(httpx.ReadTimeout):
                call()
            return
        response = call()
    if kind == "429":
        assert response.status_code == 429 and response.headers["retry-after"] == "1"
    elif kind == "throttled":
        assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    elif kind == "5xx":
        assert response.status_code in (502, 503, 504)
    else:
        with pytest.raises(ValueError):
            response.json()


def test_client_survives_a_faulty_shop() -> None:
    clean = make(orders=40)
    faulty = make(
        orders=40, faults=Faults(rates={"429": 0.1, "throttled": 0.1, "5xx": 0.1, "timeout": 0.1}, seed=3)
    )
    policy = RetryPolicy(attempts=10, sleep=faulty.test_clock.sleep)  # type: ignore[attr-defined]
    expected = list(client_for(clean).orders(page_size=5))
    assert list(client_for(faulty, retry=policy).orders(page_size=5)) == expected
    assert sum(v for k, v in faulty.stats.items() if k.startswith("fault:")) > 0


def test_paced_client_is_never_throttled_and_near_the_budget_floor() -> None:
    sandbox = make(orders=300, lines_per_order=3, bucket_size=1000, restore_rate=50)
    client = client_for(sandbox)
    start = sandbox.test_clock.now  # type: ignore[attr-defined]
    assert len(list(client.orders(lines_per_order=3))) == 300
    elapsed = sandbox.test_clock.now - start  # type: ignore[attr-defined]
    floor = (sandbox.stats["points"] - 1000) / 50
    assert sandbox.stats["throttled"] == 0
    assert floor <= elapsed <= floor * 1.15


def test_asgi_app_serves_the_same_core() -> None:
    import asyncio

    from starlette.applications import Starlette
    from starlette.routing import Mount

    sandbox = make(orders=3)
    hub = Starlette(routes=[Mount("/sandbox/shopify", app=create_app(sandbox))])

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=hub), base_url="http://hub") as http:
            await check(http)

    async def check(http: httpx.AsyncClient) -> None:
        ok = await http.post(
            "/sandbox/shopify/admin/api/2026-10/graphql.json",
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": sandbox.config.access_token},
        )
        assert ok.status_code == 200 and ok.json()["data"]["shop"]["name"] == "Sandbox Store"
        assert "cost" in ok.json()["extensions"]
        denied = await http.post(
            "/sandbox/shopify/admin/api/2026-10/graphql.json",
            json={"query": "{ shop { name } }"},
            headers={"X-Shopify-Access-Token": "nope"},
        )
        assert denied.status_code == 401

    asyncio.run(run())


@pytest.mark.parametrize(
    "variables",
    [{"fulfillment": []}, {"fulfillment": {"lineItemsByFulfillmentOrder": "x"}}, {"fulfillment": 3}],
)
def test_malformed_variables_get_a_graphql_error_not_a_crash(variables: dict[str, Any]) -> None:
    sandbox = make(orders=1)
    response = post(sandbox, documents.load("FulfillmentCreate").text, variables)
    assert response.status_code == 200
    body = response.json()
    if "errors" in body:
        assert body["errors"][0]["extensions"]["code"] in ("INVALID_VARIABLE", "BAD_REQUEST")
    else:
        assert body["data"]["fulfillmentCreate"]["userErrors"]


def test_bad_body_is_400() -> None:
    sandbox = make(orders=1)
    with httpx.Client(transport=sandbox.transport(), base_url="http://sandbox") as http:
        response = http.post(
            "/admin/api/2026-10/graphql.json",
            content=b"not json",
            headers={"X-Shopify-Access-Token": sandbox.config.access_token},
        )
    assert response.status_code == 400


def test_updated_since_filters_in_the_sandbox() -> None:
    sandbox = make(orders=20)
    client = client_for(sandbox)
    cut = sandbox.data.orders[12].updated_at
    pulled = list(client.orders(updated_since=cut))
    assert [o.external_id for o in pulled] == [str(o.id) for o in sandbox.data.orders[12:]]
    lines = client.order_line_items(pulled[0].external_id)
    assert lines == list(pulled[0].lines)


def test_seed_is_deterministic_and_some_orders_have_shipped() -> None:
    one, two = make(orders=10), make(orders=10)
    assert [o.id for o in one.data.orders] == [o.id for o in two.data.orders]
    assert [o.total for o in one.data.orders] == [o.total for o in two.data.orders]
    client = client_for(one)
    statuses = [o.fulfillment_status.value for o in client.orders()]
    assert statuses.count("fulfilled") == 2 and statuses.count("unfulfilled") == 8
    shipped = one.data.orders[4]
    assert shipped.fulfillments[0].number and client.fulfillment_orders(str(shipped.id))[0].status == "closed"


def test_every_seeded_order_maps_identically_from_both_shapes() -> None:
    from connectors.shopify.sandbox import rest

    sandbox = make(orders=25)
    pulled = {o.external_id: o for o in client_for(sandbox).orders()}
    for record in sandbox.data.orders:
        body = json.loads(json.dumps(rest.order_body(record)), parse_float=__import__("decimal").Decimal)
        assert order_from_rest(body) == pulled[str(record.id)]


def test_threads_sharing_one_shop_budget_are_never_throttled() -> None:
    """Four threads, four clients, one budget per shop, Shopify's smallest bucket (1,000 points,
    50/s), all on one shared fake clock.

    The clock moves only when a client sleeps for the budget, so the server's bucket refills exactly
    as much as the clients waited: a budget that under-estimates what is spent gets THROTTLED here
    whatever the machine's load (real time made this depend on scheduling).
    """
    import threading

    clock = FakeClock()
    config = SandboxConfig(orders=40, lines_per_order=1, bucket_size=1000, restore_rate=50)
    sandbox = SandboxShopify(config, clock=clock, now=lambda: NOW, sleep=clock.sleep)
    shared = CostBudget(clock=clock, sleep=clock.sleep)
    failures: list[BaseException] = []

    def pull() -> None:
        client = ShopifyClient(
            sandbox.config.shop_domain,
            sandbox.config.access_token,
            transport=sandbox.transport(),
            base_url="http://sandbox",
            retry=RetryPolicy(attempts=1),
            budget=shared,
        )
        try:
            for _ in range(3):
                assert len(list(client.orders(page_size=5, lines_per_order=1))) == 40
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=pull) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sandbox.stats["throttled"] == 0 and sandbox.stats["requests"] == 4 * 3 * 8
    assert clock.sleeps, "the budget never had to wait: the test did not reach the bucket's limit"
