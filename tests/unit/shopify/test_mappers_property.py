"""Property tests: the mappers turn any JSON into an OrderIn or a ShopifyMappingError, nothing else."""

from __future__ import annotations

import contextlib
import copy
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.shopify.errors import ShopifyMappingError
from connectors.shopify.mappers import order_from_graphql, order_from_rest
from connectors.shopify.querycost import QuerySyntaxError, parse_operation
from hub.domain.orders import OrderIn

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
ORDER_KEYS = [
    "id",
    "name",
    "currency",
    "created_at",
    "updated_at",
    "total_price",
    "total_tax",
    "total_discounts",
    "line_items",
    "shipping_address",
    "billing_address",
    "tags",
    "financial_status",
    "fulfillment_status",
    "total_shipping_price_set",
    "shipping_lines",
    "cancelled_at",
    "email",
]
LINE_KEYS = [
    "id",
    "sku",
    "title",
    "quantity",
    "price",
    "price_set",
    "discount_allocations",
    "variant_id",
    "product_id",
    "requires_shipping",
    "total_discount",
]

VALID = {
    "id": 7,
    "name": "#7",
    "currency": "eur",
    "created_at": "2026-01-02T03:04:05+02:00",
    "total_price": "12.00",
    "total_tax": "2.00",
    "total_discounts": "0.00",
    "tags": "b, a",
    "line_items": [{"id": 1, "sku": "S", "title": "T", "quantity": 2, "price": "5.00", "variant_id": 3}],
    "shipping_address": {"country_code": "cz", "city": "Praha"},
}


def _check(call: Any, payload: Any) -> None:
    try:
        result = call(payload)
    except ShopifyMappingError:
        return
    assert isinstance(result, OrderIn)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({}, optional={k: json_values for k in ORDER_KEYS}))
def test_rest_mapper_only_raises_mapping_errors(payload: dict[str, Any]) -> None:
    _check(order_from_rest, payload)
    _check(order_from_rest, {"order": payload})


@settings(max_examples=100)
@given(
    st.lists(st.fixed_dictionaries({}, optional={k: json_values for k in LINE_KEYS}), max_size=3),
    st.sampled_from(ORDER_KEYS),
    json_values,
)
def test_rest_mapper_with_garbled_lines_or_fields(lines: list[Any], key: str, value: Any) -> None:
    payload = copy.deepcopy(VALID)
    payload["line_items"] = lines
    _check(order_from_rest, payload)
    payload = copy.deepcopy(VALID)
    payload[key] = value
    _check(order_from_rest, payload)


@settings(max_examples=100)
@given(json_values)
def test_graphql_mapper_only_raises_mapping_errors(value: Any) -> None:
    _check(order_from_graphql, value)
    _check(order_from_graphql, {"id": "gid://shopify/Order/1", "lineItems": value, "totalPriceSet": value})


def test_valid_minimal_rest_order() -> None:
    order = order_from_rest(VALID)
    assert order.currency == "EUR" and order.tags == ("a", "b")
    assert order.subtotal_price == Decimal("10.00") and order.lines[0].variant_id == "3"
    assert order.created_at.isoformat() == "2026-01-02T01:04:05+00:00"
    assert order.shipping_address is not None and order.shipping_address.country_code == "CZ"


@settings(max_examples=100)
@given(st.text(max_size=60))
def test_query_reader_raises_only_its_syntax_error(text: str) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse_operation(text)


def test_float_amounts_are_refused() -> None:
    payload = json.loads(json.dumps(VALID))
    payload["line_items"][0]["price"] = 5.0
    try:
        order_from_rest(payload)
    except ShopifyMappingError as exc:
        assert "price" in str(exc)
    else:
        raise AssertionError("a float price must be refused")
