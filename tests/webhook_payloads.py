"""Shopify order webhooks for tests: a valid body, a table of hostile ones, and signed delivery.

Each hostile case breaks one limit the database has (or one the parser must survive) and names
the field the delivery's error must mention.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.shopify.webhooks import sign_webhook
from hub.bootstrap import Hub
from hub.services import stores

SECRET = "hostile-test-secret"


def valid_order(order_id: int, lines: int = 2) -> dict[str, Any]:
    items = [{"id": order_id * 100 + i, "title": f"Mug {i}", "sku": f"MUG-{i}", "quantity": 1 + i,
              "price": "12.50", "variant_id": 7000 + i, "product_id": 8000 + i, "requires_shipping": True}
             for i in range(lines)]
    subtotal = sum(12.5 * (1 + i) for i in range(lines))
    return {"id": order_id, "name": f"#{order_id}", "email": "ann@example.com", "currency": "USD",
            "created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:00:00Z",
            "financial_status": "paid", "fulfillment_status": None,
            "total_price": f"{subtotal + 5:.2f}", "total_tax": "0.00", "total_discounts": "0.00",
            "total_shipping_price_set": {"shop_money": {"amount": "5.00", "currency_code": "USD"}},
            "shipping_address": {"first_name": "Ann", "last_name": "Lee", "address1": "5 Elm St",
                                 "city": "Boston", "zip": "02101", "country_code": "US"},
            "line_items": items}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(order: dict[str, Any]) -> None:
        node: Any = order
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return mutate


def _duplicate_line(order: dict[str, Any]) -> None:
    order["line_items"][1]["id"] = order["line_items"][0]["id"]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@dataclass(frozen=True)
class Hostile:
    name: str
    field: str  # what the stored error must mention
    mutate: Callable[[dict[str, Any]], None] | None = None
    raw: str | None = None  # a body that is not a mutation of a valid order (JSON text)


HOSTILE: tuple[Hostile, ...] = (
    Hostile("quantity -5", "line_items[0].quantity", _set("line_items.0.quantity", -5)),
    Hostile("quantity 0", "line_items[0].quantity", _set("line_items.0.quantity", 0)),
    Hostile("quantity 2^63", "line_items[0].quantity", _set("line_items.0.quantity", 2**63)),
    Hostile("quantity 2^31 (past INTEGER)", "line_items[1].quantity", _set("line_items.1.quantity", 2**31)),
    Hostile("quantity as text", "line_items[0].quantity", _set("line_items.0.quantity", "5")),
    Hostile("price 1e30", "line_items[0].price", _set("line_items.0.price", "1e30")),
    Hostile("price 5 decimals", "line_items[0].unit_price", _set("line_items.0.price", "12.50001")),
    Hostile("price NaN", "line_items[0].price", _set("line_items.0.price", "NaN")),
    Hostile("price negative", "line_items[0].unit_price", _set("line_items.0.price", "-1.00")),
    Hostile("total past BIGINT", "total_price", _set("total_price", "922337203685477.5808")),
    Hostile("total 1e999999", "total_price", _set("total_price", "1e999999")),
    Hostile("discount over the line", "subtotal_price", _set("line_items.0.total_discount", "999.00")),
    Hostile("NUL in title", "line_items[0].title", _set("line_items.0.title", "Mug\x00")),
    Hostile("NUL in email", "email", _set("email", "ann\x00@example.com")),
    Hostile("NUL in city", "shipping_address.city", _set("shipping_address.city", "Bos\x00ton")),
    Hostile("lone surrogate in name", "name", _set("name", "#1\ud800")),
    Hostile("e-mail of 321 characters", "email", _set("email", "a" * 309 + "@example.com")),
    Hostile("title of 1001 characters", "line_items[0].title", _set("line_items.0.title", "t" * 1001)),
    Hostile("sku of 256 characters", "line_items[0].sku", _set("line_items.0.sku", "S" * 256)),
    Hostile("order id of 70 digits", "id", _set("id", 10**69)),
    Hostile("cancel reason of 300 characters", "cancel_reason", _set("cancel_reason", "r" * 300)),
    Hostile("duplicate line ids", "line_items[1].id", _duplicate_line),
    Hostile("JPY with decimals", "line_items[0].unit_price", _set("currency", "JPY")),
    Hostile("created_at out of range", "created_at", _set("created_at", "0001-01-01T00:00:00+05:00")),
    Hostile("line_items deeply nested", "line_items[0]", _set("line_items", json.loads(_nested(500)))),
    Hostile("body nested 100,000 deep", "nested too deeply", raw=_nested(100_000)),
)


def body_of(case: Hostile, order_id: int) -> bytes:
    if case.raw is not None:
        return case.raw.encode()
    order = copy.deepcopy(valid_order(order_id))
    assert case.mutate is not None
    case.mutate(order)
    # ensure_ascii keeps a lone surrogate encodable: it travels as "\ud800", as an attacker would send it
    return json.dumps(order).encode()


def connect_store(hub: Hub, shop: str = "hostile.myshopify.com") -> int:
    view = stores.add_shopify_store(hub, stores.NewShopifyStore(shop=shop, token="t", verify=False,
                                                                webhook_secret=SECRET))
    return int(view["id"])


def signed(body: bytes, webhook_id: str, shop: str = "hostile.myshopify.com",
           topic: str = "orders/create") -> dict[str, str]:
    return {"X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Hmac-Sha256": sign_webhook(body, SECRET), "Content-Type": "application/json"}
