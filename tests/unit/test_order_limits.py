"""The order limits (hub/domain/limits.py): table-driven, pure; the pull mapper (GraphQL) applies them
too, and the models size their columns with the same constants."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.shopify.errors import ShopifyMappingError
from connectors.shopify.mappers import order_from_graphql
from hub.db.models import Order, OrderLine
from hub.domain import limits
from hub.domain.limits import OrderLimitError, validate_order
from hub.domain.orders import Address, FinancialStatus, FulfillmentStatus, OrderIn, OrderLineIn
from tests.connectors.shopify.test_pagination import line, order

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _order(**changes: Any) -> OrderIn:
    lines = changes.pop("lines", (OrderLineIn("1", "MUG", "Mug", 2, Decimal("12.50")),
                                  OrderLineIn("2", "CAP", "Cap", 1, Decimal("8.00"))))
    base = OrderIn(external_id="1001", name="#1001", currency="USD", created_at=NOW, updated_at=NOW,
                   financial_status=FinancialStatus.PAID, fulfillment_status=FulfillmentStatus.UNFULFILLED,
                   subtotal_price=Decimal("33.00"), total_discounts=Decimal(0), total_shipping=Decimal("5.00"),
                   total_tax=Decimal(0), total_price=Decimal("38.00"), lines=lines, email="ann@example.com",
                   shipping_address=Address(name="Ann", city="Boston", country_code="US"))
    return dataclasses.replace(base, **changes)


def _line(**changes: Any) -> tuple[OrderLineIn, ...]:
    return (dataclasses.replace(OrderLineIn("1", "MUG", "Mug", 2, Decimal("12.50")), **changes),)


REFUSED = [
    (_order(lines=_line(quantity=-5)), "lines[0].quantity", "above 0"),
    (_order(lines=_line(quantity=2**63)), "lines[0].quantity", "largest quantity"),
    (_order(lines=_line(unit_price=Decimal("1e30"))), "lines[0].unit_price", "largest amount"),
    (_order(lines=_line(unit_price=Decimal("12.50001"))), "lines[0].unit_price", "more than 2 decimals"),
    (_order(lines=_line(unit_price=Decimal("NaN"))), "lines[0].unit_price", "not a finite amount"),
    (_order(lines=_line(title="Mug\x00")), "lines[0].title", "NUL"),
    (_order(lines=_line(title="t" * 1001)), "lines[0].title", "at most 1000"),
    (_order(lines=_line(sku="\ud800")), "lines[0].sku", "lone surrogate"),
    (_order(lines=_line(external_id="")), "lines[0].id", "required"),
    (_order(lines=(*_line(), *_line())), "lines[1].id", "duplicate line id"),
    (_order(email="a" * 309 + "@example.com"), "email", "at most 320"),
    (_order(external_id="9" * 65), "id", "at most 64"),
    (_order(total_price=Decimal("922337203685477.5808")), "total_price", "largest amount"),
    (_order(total_tax=Decimal("-0.01")), "total_tax", "negative"),
    (_order(currency="JPY"), "lines[0].unit_price", "more than 0 decimals"),
    (_order(shipping_address=Address(city="x" * 256)), "shipping_address.city", "at most 255"),
    (_order(tags=("ok", "bad\x00")), "tags[1]", "NUL"),
]


@pytest.mark.parametrize(("order", "field", "reason"), REFUSED, ids=[f"{f}-{r}" for _, f, r in REFUSED])
def test_an_order_beyond_a_limit_is_refused_naming_the_field(order: OrderIn, field: str, reason: str) -> None:
    with pytest.raises(OrderLimitError) as caught:
        validate_order(order)
    assert caught.value.field == field and reason in caught.value.reason


def test_the_edges_are_taken() -> None:
    edge = _order(lines=_line(quantity=limits.QUANTITY_MAX, title="t" * 1000, unit_price=Decimal("0.00")),
                  total_price=Decimal("922337203685477.58"), email="a" * 308 + "@example.com",
                  external_id="9" * 64, currency="KWD", total_shipping=Decimal("5.125"))
    assert validate_order(edge) is edge


def test_the_models_size_their_columns_with_the_same_limits() -> None:
    assert Order.__table__.c.email.type.length == limits.EMAIL_LENGTH  # type: ignore[attr-defined]
    assert Order.__table__.c.external_id.type.length == limits.EXTERNAL_ID_LENGTH  # type: ignore[attr-defined]
    assert OrderLine.__table__.c.title.type.length == limits.LINE_TITLE_LENGTH  # type: ignore[attr-defined]
    assert OrderLine.__table__.c.sku.type.length == limits.SKU_LENGTH  # type: ignore[attr-defined]
    assert Decimal("922337203685477.5807") == limits.MONEY_MAX


@pytest.mark.parametrize(("change", "field"), [
    ({"quantity": -5}, "lineItems[0].quantity"),
    ({"quantity": 2**31}, "lineItems[0].quantity"),
    ({"title": "t" * 1001}, "lineItems[0].title"),
    ({"originalUnitPriceSet": {"shopMoney": {"amount": "1e30", "currencyCode": "USD"}}}, "originalUnitPriceSet"),
])
def test_a_pulled_order_beyond_a_limit_is_a_mapping_error_not_a_database_error(
        change: dict[str, Any], field: str) -> None:
    node = order(1, [{**line(1), **change}, line(2)], more_lines=False)
    with pytest.raises(ShopifyMappingError, match=field.replace("[", r"\[").replace("]", r"\]")):
        order_from_graphql(node)


def test_duplicate_pulled_line_ids_and_out_of_range_times_are_mapping_errors() -> None:
    with pytest.raises(ShopifyMappingError, match="duplicate line id"):
        order_from_graphql(order(1, [line(1), line(1)], more_lines=False))
    node = {**order(1, [line(1)], more_lines=False), "createdAt": "0001-01-01T00:00:00+05:00"}
    with pytest.raises(ShopifyMappingError, match="createdAt: time out of range"):
        order_from_graphql(node)
