"""REST-shaped bodies of sandbox records, as Shopify sends them in webhooks (see ../shared samples)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.shopify.sandbox import data as d
from connectors.shopify.sandbox.nodes import iso


def _set(value: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": format(value, "f"), "currency_code": currency}
    return {"shop_money": money, "presentment_money": dict(money)}


def _address(order: d.Order) -> dict[str, Any]:
    city, country, province, zip_code = order.place
    first, _, last = order.customer_name.partition(" ")
    return {
        "first_name": first,
        "last_name": last,
        "name": order.customer_name,
        "company": None,
        "address1": f"Main Street {order.number % 97 + 1}",
        "address2": "",
        "city": city,
        "province_code": province,
        "zip": zip_code,
        "country_code": country,
        "phone": None,
    }


def _line(line: d.Line, currency: str) -> dict[str, Any]:
    allocations = (
        [
            {
                "amount": format(line.discount, "f"),
                "amount_set": _set(line.discount, currency),
                "discount_application_index": 0,
            }
        ]
        if line.discount
        else []
    )
    return {
        "id": line.id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line.id}",
        "variant_id": line.variant.id,
        "product_id": line.variant.product_id,
        "sku": line.variant.sku,
        "title": line.variant.product_title,
        "variant_title": line.variant.title,
        "name": f"{line.variant.product_title} - {line.variant.title}",
        "quantity": line.quantity,
        "price": format(line.price, "f"),
        "price_set": _set(line.price, currency),
        "total_discount": "0.00",
        "total_discount_set": _set(Decimal("0.00"), currency),
        "discount_allocations": allocations,
        "requires_shipping": True,
        "taxable": True,
    }


def order_body(order: d.Order) -> dict[str, Any]:
    """The order as an `orders/*` webhook body (REST resource shape, shop currency)."""
    cur = order.currency
    fulfillment = {"UNFULFILLED": None, "PARTIALLY_FULFILLED": "partial", "FULFILLED": "fulfilled"}
    line_total = sum((ln.price * ln.quantity for ln in order.lines), Decimal(0))
    return {
        "id": order.id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order.id}",
        "name": f"#{order.number}",
        "order_number": order.number,
        "email": order.email,
        "currency": cur,
        "presentment_currency": cur,
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
        "processed_at": iso(order.created_at),
        "cancelled_at": iso(order.cancelled_at),
        "cancel_reason": "customer" if order.cancelled_at else None,
        "financial_status": order.financial_status.lower(),
        "fulfillment_status": fulfillment.get(order.fulfillment_status),
        "total_line_items_price": format(line_total, "f"),
        "subtotal_price": format(order.subtotal, "f"),
        "subtotal_price_set": _set(order.subtotal, cur),
        "total_discounts": format(order.discounts, "f"),
        "total_discounts_set": _set(order.discounts, cur),
        "total_tax": format(order.tax, "f"),
        "total_tax_set": _set(order.tax, cur),
        "total_price": format(order.total, "f"),
        "total_price_set": _set(order.total, cur),
        "total_shipping_price_set": _set(order.shipping, cur),
        "tags": ", ".join(order.tags),
        "line_items": [_line(ln, cur) for ln in order.lines],
        "shipping_lines": [
            {
                "title": "Standard",
                "price": format(order.shipping, "f"),
                "price_set": _set(order.shipping, cur),
            }
        ],
        "shipping_address": _address(order),
        "billing_address": _address(order),
        "fulfillments": [
            {
                "id": f.id,
                "order_id": order.id,
                "status": f.status.lower(),
                "tracking_company": f.company,
                "tracking_number": f.number,
                "tracking_url": f.url,
                "created_at": iso(f.created_at),
            }
            for f in order.fulfillments
        ],
    }
