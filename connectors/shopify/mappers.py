"""Pure mappers: a Shopify order, GraphQL-pulled or REST-shaped (webhook body), → `OrderIn`.

Both channels must yield equal values for the same order, so intake recognises a replay:
- ids are numeric text (GID suffix); empty strings are None; country/province codes upper case;
- amounts are the shop-currency Decimals Shopify sent (never float);
- `subtotal_price` is computed the same way on both sides: sum over lines of (unit price * quantity - the
  line's allocated discounts), i.e. lines after line discounts, before shipping and tax;
- tags are sorted (REST sends "a, b", GraphQL a list).
Any malformed input raises `ShopifyMappingError` (and nothing else).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from connectors.shopify import parsing as p
from connectors.shopify.errors import ShopifyMappingError
from hub.domain.limits import OrderLimitError, validate_lines, validate_order
from hub.domain.orders import Address, FinancialStatus, FulfillmentStatus, OrderIn, OrderLineIn

_GRAPHQL_FULFILLMENT = {
    "FULFILLED": FulfillmentStatus.FULFILLED,
    "PARTIALLY_FULFILLED": FulfillmentStatus.PARTIAL,
    "RESTOCKED": FulfillmentStatus.RESTOCKED,
}
_OPEN_FULFILLMENT = {
    "UNFULFILLED",
    "PENDING_FULFILLMENT",
    "OPEN",
    "IN_PROGRESS",
    "ON_HOLD",
    "SCHEDULED",
    "REQUEST_DECLINED",
}
_REST_FULFILLMENT = {
    None: FulfillmentStatus.UNFULFILLED,
    "unfulfilled": FulfillmentStatus.UNFULFILLED,
    "partial": FulfillmentStatus.PARTIAL,
    "fulfilled": FulfillmentStatus.FULFILLED,
    "restocked": FulfillmentStatus.RESTOCKED,
}


def financial_status(value: Any, where: str) -> FinancialStatus:
    raw = p.lower(value, where)
    try:
        return FinancialStatus(raw) if raw else FinancialStatus.UNKNOWN
    except ValueError:
        return FinancialStatus.UNKNOWN


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    raw = value.split(",") if isinstance(value, str) else p.items(value, where)
    return tuple(sorted({p.text(t, where).strip() for t in raw} - {""}))


def _subtotal(lines: Iterable[OrderLineIn]) -> Decimal:
    return sum((line.unit_price * line.quantity - line.total_discount for line in lines), Decimal(0))


def _checked_lines(lines: tuple[OrderLineIn, ...], currency: str, where: str, key: str) -> tuple[OrderLineIn, ...]:
    """Lines within the database's limits (checked before any sum is taken over them)."""
    try:
        validate_lines(lines, currency, prefix=key)
    except OrderLimitError as exc:
        raise ShopifyMappingError(f"{where}.{exc}") from exc
    return lines


def _checked(order: OrderIn, where: str) -> OrderIn:
    """The order when the database can hold it; ShopifyMappingError naming the field otherwise."""
    try:
        return validate_order(order)
    except OrderLimitError as exc:
        raise ShopifyMappingError(f"{where}.{exc}") from exc


# -- GraphQL --------------------------------------------------------------------------------


def _shop_amount(node: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    bag = p.opt_obj(node.get(key), f"{where}.{key}")
    if bag is None:
        return None
    shop = p.obj(bag.get("shopMoney"), f"{where}.{key}.shopMoney")
    return p.amount(shop.get("amount"), f"{where}.{key}.shopMoney.amount")


def _address(value: Any, where: str, country_key: str, province_key: str) -> Address | None:
    """Both shapes share every address field but the two codes' names (and REST's split name)."""
    node = p.opt_obj(value, where)
    if not node:
        return None

    def field(key: str) -> str | None:
        return p.opt_text(node.get(key), f"{where}.{key}")

    name = field("name")
    if name is None:  # REST may send only first_name / last_name
        name = " ".join(x for x in (field("first_name"), field("last_name")) if x) or None
    code, province = field(country_key), field(province_key)
    return Address(
        name=name,
        company=field("company"),
        address1=field("address1"),
        address2=field("address2"),
        city=field("city"),
        province_code=province.upper() if province else None,
        zip=field("zip"),
        country_code=code.upper() if code else None,
        phone=field("phone"),
    )


def address_from_graphql(value: Any, where: str) -> Address | None:
    return _address(value, where, "countryCodeV2", "provinceCode")


def line_from_graphql(value: Any, where: str = "lineItem") -> OrderLineIn:
    node = p.obj(value, where)
    variant = p.opt_obj(node.get("variant"), f"{where}.variant")
    product = p.opt_obj(node.get("product"), f"{where}.product")
    unit = _shop_amount(node, "originalUnitPriceSet", where)
    if unit is None:
        raise ShopifyMappingError(f"{where}.originalUnitPriceSet is missing")
    return OrderLineIn(
        external_id=p.ident(node.get("id"), f"{where}.id"),
        sku=p.opt_text(node.get("sku"), f"{where}.sku"),
        title=p.text(node.get("title") or "", f"{where}.title"),
        quantity=p.integer(node.get("quantity"), f"{where}.quantity"),
        unit_price=unit,
        total_discount=_shop_amount(node, "totalDiscountSet", where) or Decimal(0),
        variant_id=p.opt_ident(variant.get("id"), f"{where}.variant.id") if variant else None,
        product_id=p.opt_ident(product.get("id"), f"{where}.product.id") if product else None,
        requires_shipping=p.flag(node.get("requiresShipping"), f"{where}.requiresShipping", True),
    )


def order_from_graphql(value: Any, extra_lines: Iterable[Any] = ()) -> OrderIn:
    """A GraphQL `Order` node (OrderFields) → OrderIn; `extra_lines` are line nodes of later pages."""
    node = p.obj(value, "order")
    where = f"order {node.get('id')!s:.60}"
    first_page = p.items(
        p.obj(node.get("lineItems") or {}, f"{where}.lineItems").get("nodes"), f"{where}.lineItems.nodes"
    )
    currency = p.currency(node.get("currencyCode"), f"{where}.currencyCode")
    lines = _checked_lines(tuple(
        line_from_graphql(n, f"{where}.lineItems[{i}]") for i, n in enumerate([*first_page, *extra_lines])
    ), currency, where, "lineItems")
    fulfillment_raw = p.opt_text(node.get("displayFulfillmentStatus"), f"{where}.displayFulfillmentStatus")
    fulfillment = _GRAPHQL_FULFILLMENT.get(fulfillment_raw or "", FulfillmentStatus.UNKNOWN)
    if fulfillment_raw in _OPEN_FULFILLMENT or fulfillment_raw is None:
        fulfillment = FulfillmentStatus.UNFULFILLED
    total = _shop_amount(node, "totalPriceSet", where)
    if total is None:
        raise ShopifyMappingError(f"{where}.totalPriceSet is missing")
    created = p.moment(node.get("createdAt"), f"{where}.createdAt")
    return _checked(OrderIn(
        external_id=p.ident(node.get("id"), f"{where}.id"),
        name=p.text(node.get("name"), f"{where}.name"),
        currency=currency,
        created_at=created,
        updated_at=p.opt_moment(node.get("updatedAt"), f"{where}.updatedAt") or created,
        financial_status=financial_status(
            node.get("displayFinancialStatus"), f"{where}.displayFinancialStatus"
        ),
        fulfillment_status=fulfillment,
        subtotal_price=_subtotal(lines),
        total_discounts=_shop_amount(node, "totalDiscountsSet", where) or Decimal(0),
        total_shipping=_shop_amount(node, "totalShippingPriceSet", where) or Decimal(0),
        total_tax=_shop_amount(node, "totalTaxSet", where) or Decimal(0),
        total_price=total,
        lines=lines,
        email=p.opt_text(node.get("email"), f"{where}.email"),
        shipping_address=address_from_graphql(node.get("shippingAddress"), f"{where}.shippingAddress"),
        billing_address=address_from_graphql(node.get("billingAddress"), f"{where}.billingAddress"),
        cancelled_at=p.opt_moment(node.get("cancelledAt"), f"{where}.cancelledAt"),
        cancel_reason=p.lower(node.get("cancelReason"), f"{where}.cancelReason"),
        processed_at=p.opt_moment(node.get("processedAt"), f"{where}.processedAt"),
        tags=_tags(node.get("tags"), f"{where}.tags"),
    ), where)


# -- REST (webhook bodies) --------------------------------------------------------------------


def _rest_amount(node: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    """`<key>_set.shop_money.amount` when present (shop currency), else the plain `<key>`."""
    money_set = p.opt_obj(node.get(f"{key}_set"), f"{where}.{key}_set")
    if money_set is not None and money_set.get("shop_money") is not None:
        shop = p.obj(money_set.get("shop_money"), f"{where}.{key}_set.shop_money")
        return p.amount(shop.get("amount"), f"{where}.{key}_set.shop_money.amount")
    return p.opt_amount(node.get(key), f"{where}.{key}")


def address_from_rest(value: Any, where: str) -> Address | None:
    return _address(value, where, "country_code", "province_code")


def line_from_rest(value: Any, where: str) -> OrderLineIn:
    node = p.obj(value, where)
    allocations = p.items(node.get("discount_allocations"), f"{where}.discount_allocations")
    if allocations:
        discount = sum(
            (
                _rest_amount(
                    p.obj(a, f"{where}.discount_allocations[{i}]"),
                    "amount",
                    f"{where}.discount_allocations[{i}]",
                )
                or Decimal(0)
                for i, a in enumerate(allocations)
            ),
            Decimal(0),
        )
    else:
        discount = _rest_amount(node, "total_discount", where) or Decimal(0)
    unit = _rest_amount(node, "price", where)
    if unit is None:
        raise ShopifyMappingError(f"{where}.price is missing")
    return OrderLineIn(
        external_id=p.ident(node.get("id"), f"{where}.id"),
        sku=p.opt_text(node.get("sku"), f"{where}.sku"),
        title=p.text(node.get("title") or node.get("name") or "", f"{where}.title"),
        quantity=p.integer(node.get("quantity"), f"{where}.quantity"),
        unit_price=unit,
        total_discount=discount,
        variant_id=p.opt_ident(node.get("variant_id"), f"{where}.variant_id"),
        product_id=p.opt_ident(node.get("product_id"), f"{where}.product_id"),
        requires_shipping=p.flag(node.get("requires_shipping"), f"{where}.requires_shipping", True),
    )


def order_from_rest(payload: Any) -> OrderIn:
    """A REST-shaped order (a webhook body, bare or wrapped as {"order": …}) → OrderIn."""
    node = p.obj(payload, "order")
    if set(node) == {"order"}:
        node = p.obj(node["order"], "order")
    where = f"order {node.get('id')!s:.60}"
    for required in ("id", "currency", "created_at", "total_price", "line_items"):
        if node.get(required) is None:
            raise ShopifyMappingError(f"{where}: `{required}` is missing")
    currency = p.currency(node.get("currency"), f"{where}.currency")
    lines = _checked_lines(tuple(
        line_from_rest(n, f"{where}.line_items[{i}]")
        for i, n in enumerate(p.items(node.get("line_items"), f"{where}.line_items"))
    ), currency, where, "line_items")
    raw_fulfillment = p.lower(node.get("fulfillment_status"), f"{where}.fulfillment_status")
    shipping = _rest_amount(node, "total_shipping_price", where)
    if shipping is None:
        shipping_lines = p.items(node.get("shipping_lines"), f"{where}.shipping_lines")
        shipping = sum(
            (
                _rest_amount(
                    p.obj(s, f"{where}.shipping_lines[{i}]"), "price", f"{where}.shipping_lines[{i}]"
                )
                or Decimal(0)
                for i, s in enumerate(shipping_lines)
            ),
            Decimal(0),
        )
    created = p.moment(node.get("created_at"), f"{where}.created_at")
    total = _rest_amount(node, "total_price", where)
    assert total is not None  # checked above; keeps mypy informed
    return _checked(OrderIn(
        external_id=p.ident(node.get("id"), f"{where}.id"),
        name=p.text(node.get("name") or f"#{node.get('order_number') or node.get('id')}", f"{where}.name"),
        currency=currency,
        created_at=created,
        updated_at=p.opt_moment(node.get("updated_at"), f"{where}.updated_at") or created,
        financial_status=financial_status(node.get("financial_status"), f"{where}.financial_status"),
        fulfillment_status=_REST_FULFILLMENT.get(raw_fulfillment, FulfillmentStatus.UNKNOWN),
        subtotal_price=_subtotal(lines),
        total_discounts=_rest_amount(node, "total_discounts", where) or Decimal(0),
        total_shipping=shipping,
        total_tax=_rest_amount(node, "total_tax", where) or Decimal(0),
        total_price=total,
        lines=lines,
        email=p.opt_text(node.get("email") or node.get("contact_email"), f"{where}.email"),
        shipping_address=address_from_rest(node.get("shipping_address"), f"{where}.shipping_address"),
        billing_address=address_from_rest(node.get("billing_address"), f"{where}.billing_address"),
        cancelled_at=p.opt_moment(node.get("cancelled_at"), f"{where}.cancelled_at"),
        cancel_reason=p.lower(node.get("cancel_reason"), f"{where}.cancel_reason"),
        processed_at=p.opt_moment(node.get("processed_at"), f"{where}.processed_at"),
        tags=_tags(node.get("tags"), f"{where}.tags"),
    ), where)
