"""Root fields of the emulated Admin API: the queries and mutations the hub's client sends.

Each resolver gets the field's arguments and returns a node (see nodes.py) that the server then
projects onto the selection. Mutations validate like Shopify does and answer `userErrors`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.shopify.sandbox import data as d
from connectors.shopify.sandbox import nodes as n
from connectors.shopify.sandbox.nodes import BadRequest, Node

_UPDATED_SINCE = re.compile(r"updated_at:>=?'?([0-9T:.+\-Z]+)'?")
_PAYOUT_ID = re.compile(r"payout_id:(\d+)")
NEW_INVENTORY_API = "2026-04"


class Context:
    """What a resolver may touch: the shop's data, the API version, the time."""

    def __init__(self, shop: d.ShopData, api_version: str, now: datetime) -> None:
        self.shop = shop
        self.api_version = api_version
        self.now = now


def _user_errors(*errors: tuple[list[str], str, str | None]) -> list[Node]:
    return [{"field": field, "message": message, "code": code} for field, message, code in errors]


def _orders(ctx: Context, args: dict[str, Any]) -> Node:
    orders = ctx.shop.orders
    match = _UPDATED_SINCE.search(str(args.get("query") or ""))
    if match:
        try:
            since = datetime.fromisoformat(match.group(1))
        except ValueError as exc:
            raise BadRequest(f"Invalid date in query {match.group(1)!r}") from exc
        if since.tzinfo is None:  # Shopify reads a date without offset in the shop's zone; ours is UTC
            since = since.replace(tzinfo=UTC)
        orders = [o for o in orders if o.updated_at >= since]
    return n.connection(orders, n.order_node, d.order_key)(args)


def _order(ctx: Context, args: dict[str, Any]) -> Node | None:
    order = ctx.shop.orders_by_id.get(n.parse_gid(args.get("id"), "Order"))
    return None if order is None else n.order_node(order)


def _payments_account(ctx: Context, args: dict[str, Any]) -> Node:
    shop = ctx.shop
    cur = shop.config.currency
    payouts = sorted(shop.payouts, key=lambda p: p.id)

    def balance(b_args: dict[str, Any]) -> Node:
        match = _PAYOUT_ID.search(str(b_args.get("query") or ""))
        rows = [
            (p, o, t) for p in payouts for o, t in p.transactions if not match or p.id == int(match.group(1))
        ]
        return n.connection(rows, lambda r: n.balance_node(*r), lambda r: r[2].id)(b_args)

    return {
        "id": n.gid("ShopifyPaymentsAccount", 1),
        "payouts": n.connection(payouts, lambda p: n.payout_node(p, cur), lambda p: p.id),
        "balanceTransactions": balance,
    }


QUERIES: dict[str, Callable[[Context, dict[str, Any]], Any]] = {
    "shop": lambda ctx, _a: {
        "name": ctx.shop.config.shop_name,
        "myshopifyDomain": ctx.shop.config.shop_domain,
        "currencyCode": ctx.shop.config.currency,
        "plan": {
            "displayName": "Basic",
            "publicDisplayName": "Basic",
            "partnerDevelopment": True,
            "shopifyPlus": False,
        },
    },
    "orders": _orders,
    "order": _order,
    "productVariants": lambda ctx, a: n.connection(ctx.shop.variants, n.variant_node, lambda v: v.id)(a),
    "locations": lambda ctx, a: n.connection(ctx.shop.locations, n.location_node, lambda loc: loc.id)(a),
    "shopifyPaymentsAccount": _payments_account,
    "webhookSubscriptions": lambda ctx, a: n.connection(ctx.shop.webhooks, n.webhook_node, lambda w: w.id)(a),
}


# -- mutations -------------------------------------------------------------------------------


def _fulfillment_create(ctx: Context, args: dict[str, Any]) -> Node:
    shop = ctx.shop
    spec = args.get("fulfillment") or {}
    groups = spec.get("lineItemsByFulfillmentOrder") or []
    plan: list[tuple[d.FulfillmentOrderLine, int]] = []
    order: d.Order | None = None
    for gi, group in enumerate(groups):
        found = shop.fulfillment_orders.get(n.parse_gid(group.get("fulfillmentOrderId"), "FulfillmentOrder"))
        if found is None:
            return {
                "fulfillment": None,
                "userErrors": _user_errors(
                    (
                        ["fulfillment", "lineItemsByFulfillmentOrder", str(gi)],
                        "Fulfillment order does not exist.",
                        None,
                    )
                ),
            }
        order, fo = found
        by_id = {fl.id: fl for fl in fo.lines}
        wanted = group.get("fulfillmentOrderLineItems") or [
            {"id": n.gid("FulfillmentOrderLineItem", fl.id), "quantity": fl.remaining} for fl in fo.lines
        ]
        for item in wanted:
            fl = by_id.get(n.parse_gid(item.get("id"), "FulfillmentOrderLineItem"))
            quantity = (
                item.get("quantity") if item.get("quantity") is not None else (fl.remaining if fl else 0)
            )
            if fl is None or not isinstance(quantity, int) or quantity < 1 or quantity > fl.remaining:
                return {
                    "fulfillment": None,
                    "userErrors": _user_errors(
                        (["fulfillment"], "Invalid fulfillment order line item quantity requested.", None)
                    ),
                }
            plan.append((fl, quantity))
    if order is None or not plan:
        return {"fulfillment": None, "userErrors": _user_errors((["fulfillment"], "No line items.", None))}
    for fl, quantity in plan:
        fl.remaining -= quantity
    for fo in order.fulfillment_orders:
        if all(fl.remaining == 0 for fl in fo.lines):
            fo.status = "CLOSED"
    tracking = spec.get("trackingInfo") or {}
    fulfillment = d.Fulfillment(
        shop.new_id(),
        order.id,
        "SUCCESS",
        tracking.get("company"),
        tracking.get("number"),
        tracking.get("url"),
        ctx.now,
    )
    order.fulfillments.append(fulfillment)
    shop.touch(order, ctx.now)
    return {
        "fulfillment": {
            "id": n.gid("Fulfillment", fulfillment.id),
            "status": fulfillment.status,
            "trackingInfo": [
                {"company": fulfillment.company, "number": fulfillment.number, "url": fulfillment.url}
            ],
        },
        "userErrors": [],
    }


def _inventory_set(ctx: Context, args: dict[str, Any]) -> Node:
    """inventorySetQuantities in both shapes: compareQuantity (≤2026-01) / changeFromQuantity +
    @idempotent (≥2026-04). A repeated idempotency key returns the first answer unchanged."""
    shop = ctx.shop
    newer = ctx.api_version == "unstable" or ctx.api_version >= NEW_INVENTORY_API
    key = args.get("__idempotency_key")
    if newer and not key:
        return {
            "inventoryAdjustmentGroup": None,
            "userErrors": _user_errors(
                (["input"], "The @idempotent directive with a key is required.", "IDEMPOTENCY_KEY_REQUIRED")
            ),
        }
    if key and key in shop.idempotency:
        return shop.idempotency[str(key)]
    spec = args.get("input") or {}
    rows = spec.get("quantities") or []
    errors: list[tuple[list[str], str, str | None]] = []
    if spec.get("name") not in ("available", "on_hand"):
        errors.append(
            (["input", "name"], "The quantity name must be 'available' or 'on_hand'.", "INVALID_NAME")
        )
    if len(rows) > 250:
        errors.append((["input", "quantities"], "At most 250 quantities per call.", "TOO_MANY_INPUTS"))
    changes: list[tuple[tuple[int, int], int]] = []
    for i, row in enumerate(rows):
        where = ["input", "quantities", str(i)]
        try:
            slot = (
                n.parse_gid(row.get("inventoryItemId"), "InventoryItem"),
                n.parse_gid(row.get("locationId"), "Location"),
            )
        except BadRequest:
            errors.append((where, "The inventory item or location does not exist.", "INVALID_INVENTORY_ITEM"))
            continue
        if slot not in shop.inventory:
            errors.append(
                (where, "The inventory item is not stocked at the location.", "ITEM_NOT_STOCKED_AT_LOCATION")
            )
            continue
        current = shop.inventory[slot]
        if newer:
            if "compareQuantity" in row or "changeFromQuantity" not in row:
                errors.append(
                    (where, "changeFromQuantity is required (compareQuantity was removed).", "INVALID_INPUT")
                )
                continue
            expected = row.get("changeFromQuantity")
        else:
            expected = None if spec.get("ignoreCompareQuantity") else row.get("compareQuantity")
            if not spec.get("ignoreCompareQuantity") and "compareQuantity" not in row:
                errors.append(
                    (where, "compareQuantity is required unless ignoreCompareQuantity.", "INVALID_INPUT")
                )
                continue
        if expected is not None and expected != current:
            errors.append((where, "The quantity has changed since it was read.", "COMPARE_QUANTITY_STALE"))
            continue
        changes.append((slot, int(row.get("quantity", 0)) - current))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": _user_errors(*errors)}
    for slot, delta in changes:
        shop.inventory[slot] += delta
    result: Node = {
        "inventoryAdjustmentGroup": {
            "reason": spec.get("reason"),
            "changes": [{"name": spec.get("name"), "delta": delta} for _, delta in changes],
        },
        "userErrors": [],
    }
    if key:
        shop.idempotency[str(key)] = result
    return result


def _variants_bulk_update(ctx: Context, args: dict[str, Any]) -> Node:
    shop = ctx.shop
    product_id = n.parse_gid(args.get("productId"), "Product")
    by_id = {v.id: v for v in shop.variants if v.product_id == product_id}
    if not by_id:
        return {
            "productVariants": None,
            "userErrors": _user_errors((["productId"], "Product does not exist", None)),
        }
    updates = []
    for i, row in enumerate(args.get("variants") or []):
        variant = by_id.get(n.parse_gid(row.get("id"), "ProductVariant"))
        if variant is None:
            return {
                "productVariants": None,
                "userErrors": _user_errors(
                    (["variants", str(i), "id"], "Product variant does not exist", None)
                ),
            }
        try:
            price = d.money(Decimal(str(row.get("price"))))
        except (ArithmeticError, ValueError):
            return {
                "productVariants": None,
                "userErrors": _user_errors((["variants", str(i), "price"], "Price is invalid", None)),
            }
        updates.append((variant, price))
    for variant, price in updates:
        variant.price = price
    return {
        "productVariants": [
            {"id": n.gid("ProductVariant", v.id), "price": format(v.price, "f"), "compareAtPrice": None}
            for v, _ in updates
        ],
        "userErrors": [],
    }


def _webhook_create(ctx: Context, args: dict[str, Any]) -> Node:
    shop = ctx.shop
    topic = str(args.get("topic") or "")
    spec = args.get("webhookSubscription") or {}
    url = str(spec.get("callbackUrl") or spec.get("uri") or "")
    if not url.startswith(("http://", "https://")):
        return {
            "webhookSubscription": None,
            "userErrors": _user_errors((["webhookSubscription", "callbackUrl"], "Address is invalid", None)),
        }
    if any(w.topic == topic and w.callback_url == url for w in shop.webhooks):
        return {
            "webhookSubscription": None,
            "userErrors": _user_errors(
                (
                    ["webhookSubscription", "callbackUrl"],
                    "Address for this topic has already been taken",
                    None,
                )
            ),
        }
    subscription = d.WebhookSubscription(shop.new_id(), topic, url)
    shop.webhooks.append(subscription)
    return {"webhookSubscription": n.webhook_node(subscription), "userErrors": []}


MUTATIONS: dict[str, Callable[[Context, dict[str, Any]], Any]] = {
    "fulfillmentCreate": _fulfillment_create,
    "inventorySetQuantities": _inventory_set,
    "productVariantsBulkUpdate": _variants_bulk_update,
    "webhookSubscriptionCreate": _webhook_create,
}
