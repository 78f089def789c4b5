"""Property: any order dict either maps to an order the database accepts (on both backends), or is
refused with a ShopifyMappingError naming where; never another exception, never a database error."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.shopify.errors import ShopifyMappingError
from connectors.shopify.mappers import order_from_rest
from hub.bootstrap import Hub
from hub.services.intake import ingest
from tests.webhook_payloads import connect_store, valid_order

PROPERTY = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

edgy_text = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "x" * 64, "x" * 65, "y" * 255, "y" * 256,
                     "t" * 1000, "t" * 1001, "e" * 309 + "@example.com", "e" * 308 + "@example.com"]),
)
amount = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=0, max_value=10**6).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e30", "922337203685477.58", "922337203685477.5808", "-0.01", "0.001", "12.50001",
                     "1e999999", "", "abc", "NaN", "-Infinity"]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(), st.none(), st.booleans(),
)
quantity = st.one_of(st.integers(min_value=-(2**65), max_value=2**65), st.sampled_from([0, 1, 2**31 - 1, 2**31]),
                     st.text(max_size=3), st.none(), st.booleans())
ident = st.one_of(st.integers(min_value=-5, max_value=10**80), st.sampled_from([1, 2, "1", "gid://shopify/X/1"]),
                  edgy_text, st.none())
anything = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                                    max_size=3), max_leaves=8)

LINE_FIELDS = {"id": ident, "title": edgy_text, "sku": st.one_of(edgy_text, st.none()), "quantity": quantity,
               "price": amount, "total_discount": amount, "variant_id": ident, "product_id": ident,
               "requires_shipping": st.one_of(st.booleans(), anything)}
ORDER_FIELDS = {"id": ident, "name": edgy_text, "email": st.one_of(edgy_text, st.none()),
                "currency": st.sampled_from(["USD", "JPY", "KWD", "usd", "XXX", "", "EURO"]),
                "created_at": st.sampled_from(["2026-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00",
                                               "9999-12-31T23:59:59-01:00", "yesterday", ""]),
                "total_price": amount, "total_tax": amount, "total_discounts": amount,
                "cancel_reason": st.one_of(edgy_text, st.none()), "tags": st.one_of(edgy_text, anything),
                "shipping_address": st.one_of(st.none(), anything,
                                              st.fixed_dictionaries({"city": edgy_text, "zip": edgy_text}))}


@st.composite
def order_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid order with some fields replaced by edge or garbage values (sometimes none)."""
    order = copy.deepcopy(valid_order(draw(st.integers(min_value=1, max_value=10**6)), lines=3))
    for key in draw(st.lists(st.sampled_from(sorted(ORDER_FIELDS)), max_size=3, unique=True)):
        order[key] = draw(ORDER_FIELDS[key])
    for line in order["line_items"]:
        for key in draw(st.lists(st.sampled_from(sorted(LINE_FIELDS)), max_size=2, unique=True)):
            line[key] = draw(LINE_FIELDS[key])
    if draw(st.booleans()):
        order["line_items"].append(draw(st.one_of(anything, st.just(order["line_items"][0]))))
    return order


class _Rollback(Exception):
    pass


@PROPERTY
@given(payload=order_dicts())
def _check(hub: Hub, store_id: int, payload: dict[str, Any]) -> None:
    try:
        order = order_from_rest(payload)
    except ShopifyMappingError as exc:
        assert str(exc).startswith("order ") and len(str(exc)) > len("order ")  # names where
        return
    assert all(line.quantity > 0 for line in order.lines)
    assert all(isinstance(line.unit_price, Decimal) for line in order.lines)
    try:
        with hub.db.transaction() as session:  # the database takes it as it is; then undo
            result = ingest(session, store_id, [order], source="property")
            session.flush()
            assert result.created + result.updated + result.unchanged == 1
            raise _Rollback
    except _Rollback:
        pass


def test_any_order_dict_maps_to_a_storable_order_or_a_clear_mapping_error(hub: Hub) -> None:
    _check(hub, connect_store(hub))
