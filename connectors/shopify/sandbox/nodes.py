"""Render sandbox records as GraphQL-shaped values, and project them onto a selection set.

A node is a dict of every field we support; values that take arguments (connections) are
callables `args -> value`. `project` keeps only what the query selected, under its aliases, so
the response has exactly the requested shape, like Shopify's.
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.shopify.querycost import Field
from connectors.shopify.sandbox import data as d

Node = dict[str, Any]


class BadRequest(ValueError):
    """A query the sandbox refuses with a GraphQL error (bad id, bad cursor, missing argument)."""


def gid(kind: str, value: int) -> str:
    return f"gid://shopify/{kind}/{value}"


def parse_gid(value: Any, kind: str) -> int:
    text = str(value or "")
    prefix = f"gid://shopify/{kind}/"
    if not text.startswith(prefix) or not text[len(prefix) :].isdigit():
        raise BadRequest(f"Invalid global id '{text[:80]}' for {kind}")
    return int(text[len(prefix) :])


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def amount(value: Decimal, currency: str) -> Node:
    return {"amount": format(value, "f"), "currencyCode": currency}


def bag(value: Decimal, currency: str) -> Node:
    return {"shopMoney": amount(value, currency), "presentmentMoney": amount(value, currency)}


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _uncursor(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise BadRequest(f"Invalid cursor {cursor[:40]!r}") from exc


def connection(
    items: Sequence[Any], render: Callable[[Any], Node], key: Callable[[Any], Any]
) -> Callable[[dict[str, Any]], Node]:
    """A connection over `items` sorted by `key` (JSON-native: int or list), paged by first/after."""

    def resolve(args: dict[str, Any]) -> Node:
        first = args.get("first")
        if not isinstance(first, int) or first < 0 or first > 250:
            raise BadRequest("`first` must be an integer between 0 and 250")
        start = 0
        if args.get("after"):
            after = _uncursor(str(args["after"]))
            try:  # items are sorted by key: a binary search, not a scan per page
                start = bisect.bisect_right(items, after, key=key)
            except TypeError as exc:
                raise BadRequest("Invalid cursor") from exc
        page = items[start : start + first]
        rendered = [render(item) for item in page]
        cursors = [_cursor(key(item)) for item in page]
        return {
            "nodes": rendered,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, rendered, strict=True)],
            "pageInfo": {
                "hasNextPage": start + first < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            },
        }

    return resolve


def project(fields: Sequence[Field], value: Any) -> Any:
    """Keep only the selected fields (recursively), keyed by alias; call argument-taking fields."""
    if value is None:
        return None
    if isinstance(value, list):
        return [project(fields, v) for v in value]
    out: Node = {}
    for f in fields:
        raw = value.get(f.name) if isinstance(value, dict) else None
        if callable(raw):
            raw = raw(f.args)
        out[f.key] = project(f.selections, raw) if f.selections else raw
    return out


# -- records → nodes -------------------------------------------------------------------------


def variant_node(v: d.Variant) -> Node:
    return {
        "__typename": "ProductVariant",
        "id": gid("ProductVariant", v.id),
        "title": v.title,
        "sku": v.sku,
        "barcode": v.barcode,
        "price": format(v.price, "f"),
        "inventoryItem": {"id": gid("InventoryItem", v.inventory_item_id)},
        "product": {"id": gid("Product", v.product_id), "title": v.product_title},
    }


def location_node(loc: d.Location) -> Node:
    return {
        "id": gid("Location", loc.id),
        "name": loc.name,
        "isActive": True,
        "fulfillsOnlineOrders": True,
        "address": {"countryCode": loc.country},
    }


def line_node(ln: d.Line, currency: str) -> Node:
    return {
        "id": gid("LineItem", ln.id),
        "sku": ln.variant.sku,
        "title": ln.variant.product_title,
        "quantity": ln.quantity,
        "requiresShipping": True,
        "originalUnitPriceSet": bag(ln.price, currency),
        "totalDiscountSet": bag(ln.discount, currency),
        "variant": {"id": gid("ProductVariant", ln.variant.id)},
        "product": {"id": gid("Product", ln.variant.product_id)},
    }


def address_node(o: d.Order) -> Node:
    city, country, province, zip_code = o.place
    return {
        "name": o.customer_name,
        "company": None,
        "address1": f"Main Street {o.number % 97 + 1}",
        "address2": None,
        "city": city,
        "provinceCode": province,
        "zip": zip_code,
        "countryCodeV2": country,
        "phone": None,
    }


def transaction_node(t: d.Transaction, currency: str) -> Node:
    fees = [
        {
            "id": gid("TransactionFee", t.id + 1),
            "type": "payment",
            "rate": "0.029",
            "rateName": "Card",
            "flatFeeName": "Flat",
            "amount": amount(t.fee, currency),
            "flatFee": amount(d.FEE_FLAT, currency),
            "taxAmount": amount(Decimal("0.00"), currency),
        }
    ]
    return {
        "id": gid("OrderTransaction", t.id),
        "kind": t.kind,
        "status": t.status,
        "gateway": "shopify_payments",
        "test": True,
        "processedAt": iso(t.processed_at),
        "parentTransaction": {"id": gid("OrderTransaction", t.parent_id)} if t.parent_id else None,
        "amountSet": bag(t.amount, currency),
        "fees": fees if t.fee else [],
    }


def fulfillment_order_node(fo: d.FulfillmentOrder) -> Node:
    def line(fl: d.FulfillmentOrderLine) -> Node:
        return {
            "id": gid("FulfillmentOrderLineItem", fl.id),
            "sku": fl.line.variant.sku,
            "totalQuantity": fl.line.quantity,
            "remainingQuantity": fl.remaining,
            "lineItem": {"id": gid("LineItem", fl.line.id)},
        }

    return {
        "id": gid("FulfillmentOrder", fo.id),
        "status": fo.status,
        "assignedLocation": {"location": {"id": gid("Location", fo.location_id)}},
        "lineItems": connection(fo.lines, line, lambda fl: fl.id),
    }


def order_node(o: d.Order) -> Node:
    cur = o.currency
    return {
        "__typename": "Order",
        "id": gid("Order", o.id),
        "name": f"#{o.number}",
        "email": o.email,
        "currencyCode": cur,
        "createdAt": iso(o.created_at),
        "updatedAt": iso(o.updated_at),
        "processedAt": iso(o.created_at),
        "cancelledAt": iso(o.cancelled_at),
        "cancelReason": "CUSTOMER" if o.cancelled_at else None,
        "displayFinancialStatus": o.financial_status,
        "displayFulfillmentStatus": o.fulfillment_status,
        "tags": list(o.tags),
        "subtotalPriceSet": bag(o.subtotal, cur),
        "totalDiscountsSet": bag(o.discounts, cur),
        "totalShippingPriceSet": bag(o.shipping, cur),
        "totalTaxSet": bag(o.tax, cur),
        "totalPriceSet": bag(o.total, cur),
        "shippingAddress": address_node(o),
        "billingAddress": address_node(o),
        "lineItems": connection(o.lines, lambda ln: line_node(ln, cur), lambda ln: ln.id),
        "fulfillmentOrders": connection(o.fulfillment_orders, fulfillment_order_node, lambda fo: fo.id),
        "fulfillments": lambda args: [
            {"id": gid("Fulfillment", f.id), "status": f.status,
             "trackingInfo": [{"company": f.company, "number": f.number, "url": f.url}]}
            for f in o.fulfillments[: args.get("first") or 250]
        ],
        "transactions": lambda args: [
            transaction_node(t, cur) for t in o.transactions[: args.get("first") or 100]
        ],
        "totalRefundedSet": bag(o.refunded, cur),
        "refunds": lambda args: [refund_node(r, cur) for r in o.refunds[: args.get("first") or 100]],
    }


def refund_node(r: d.Refund, currency: str) -> Node:
    def line(rl: d.RefundLine) -> Node:
        return {
            "id": gid("RefundLineItem", rl.id),
            "quantity": rl.quantity,
            "lineItem": {"id": gid("LineItem", rl.line.id)},
            "subtotalSet": bag(rl.subtotal, currency),
            "totalTaxSet": bag(rl.tax, currency),
        }

    shipping = [r] if r.shipping or r.shipping_tax else []
    return {
        "id": gid("Refund", r.id),
        "createdAt": iso(r.created_at),
        "note": None,
        "totalRefundedSet": bag(r.total, currency),
        "refundLineItems": connection(r.lines, line, lambda rl: rl.id),
        "refundShippingLines": connection(shipping, lambda s: {
            "id": gid("RefundShippingLine", s.id + 1),
            "subtotalAmountSet": bag(s.shipping, currency),
            "taxAmountSet": bag(s.shipping_tax, currency)}, lambda s: s.id),
        "transactions": connection([r.transaction], lambda t: transaction_node(t, currency), lambda t: t.id),
    }


def payout_node(p: d.Payout, currency: str) -> Node:
    charges = [d.balance_amounts(t) for _, t in p.transactions if t.kind != "REFUND"]
    refunds = [d.balance_amounts(t) for _, t in p.transactions if t.kind == "REFUND"]
    gross = sum((a for a, _ in charges), Decimal(0))
    fees = sum((f for _, f in charges), Decimal(0))
    refunds_gross = sum((a for a, _ in refunds), Decimal(0))
    refunds_fee = sum((f for _, f in refunds), Decimal(0))
    zero = amount(Decimal("0.00"), currency)
    return {
        "id": gid("ShopifyPaymentsPayout", p.id),
        "status": p.status,
        "issuedAt": iso(p.issued_at),
        "transactionType": "DEPOSIT",
        "net": amount(gross - fees + refunds_gross - refunds_fee, currency),
        "summary": {
            "chargesGross": amount(gross, currency),
            "chargesFee": amount(fees, currency),
            "refundsFee": amount(refunds_fee, currency),
            "refundsFeeGross": amount(refunds_gross, currency),
            "adjustmentsFee": zero,
            "adjustmentsGross": zero,
        },
    }


def balance_node(p: d.Payout, o: d.Order, t: d.Transaction) -> Node:
    cur = o.currency
    kind = "REFUND" if t.kind == "REFUND" else "CHARGE"
    value, fee = d.balance_amounts(t)
    return {
        "id": gid("ShopifyPaymentsBalanceTransaction", t.id + 2),
        "type": kind,
        "test": True,
        "transactionDate": iso(t.processed_at),
        "sourceType": kind,
        "sourceId": str(t.id + 3),
        "sourceOrderTransactionId": str(t.id),
        "amount": amount(value, cur),
        "fee": amount(fee, cur),
        "net": amount(value - fee, cur),
        "associatedOrder": {"id": gid("Order", o.id)},
        "associatedPayout": {"id": gid("ShopifyPaymentsPayout", p.id), "status": p.status},
    }


def webhook_node(w: d.WebhookSubscription) -> Node:
    return {
        "id": gid("WebhookSubscription", w.id),
        "topic": w.topic,
        "endpoint": {"__typename": "WebhookHttpEndpoint", "callbackUrl": w.callback_url},
        "callbackUrl": w.callback_url,
    }
