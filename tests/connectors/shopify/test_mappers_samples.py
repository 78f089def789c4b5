"""Every order sample in ../shared/shopify/samples → OrderIn, checked against the sample's own JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.shopify.errors import ShopifyMappingError
from connectors.shopify.mappers import order_from_rest
from hub.domain.orders import FinancialStatus, OrderIn
from tests.connectors.shopify.conftest import SHARED, shared_dir

SAMPLES = sorted((SHARED / "shopify" / "samples").glob("order_*.json")) if SHARED.exists() else []
COMPLETE = ("currency", "created_at", "total_price", "line_items")


def _orders(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(), parse_float=Decimal)
    return doc["orders"] if "orders" in doc else [doc["order"]]


def _shop(o: dict[str, Any], key: str) -> Decimal:
    return Decimal(o[f"{key}_set"]["shop_money"]["amount"]) if o.get(f"{key}_set") else Decimal(o[key])


def test_samples_are_present() -> None:
    shared_dir()
    assert len(SAMPLES) >= 25


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_order_sample_maps_with_correct_totals_lines_currency_addresses(path: Path) -> None:
    shared_dir()
    for raw in _orders(path):
        if any(raw.get(k) is None for k in COMPLETE):
            with pytest.raises(ShopifyMappingError, match="is missing"):
                order_from_rest({"order": raw})
            continue
        order = order_from_rest({"order": raw})  # the webhook body shape
        assert isinstance(order, OrderIn)
        assert order == order_from_rest(raw)  # a bare resource maps the same
        assert order.external_id == str(raw["id"]) and order.name == raw["name"]
        assert order.currency == raw["currency"].upper()
        assert order.total_price == Decimal(raw["total_price"])
        assert order.total_tax == Decimal(raw["total_tax"])
        assert order.total_discounts == Decimal(raw["total_discounts"])
        assert order.total_shipping == Decimal(raw["total_shipping_price_set"]["shop_money"]["amount"])
        assert order.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert order.financial_status == FinancialStatus(raw["financial_status"])

        lines = raw["line_items"]
        assert len(order.lines) == len(lines)
        expected_subtotal = Decimal(0)
        for mapped, src in zip(order.lines, lines, strict=True):
            discount = (
                sum(
                    (Decimal(a["amount_set"]["shop_money"]["amount"]) for a in src["discount_allocations"]),
                    Decimal(0),
                )
                if src["discount_allocations"]
                else Decimal(src["total_discount"])
            )
            assert mapped.external_id == str(src["id"])
            assert mapped.sku == (src["sku"] or None)
            assert mapped.quantity == src["quantity"]
            assert mapped.unit_price == _shop(src, "price")
            assert mapped.total_discount == discount
            assert mapped.variant_id == (str(src["variant_id"]) if src["variant_id"] else None)
            assert mapped.product_id == (str(src["product_id"]) if src["product_id"] else None)
            expected_subtotal += Decimal(src["price"]) * src["quantity"] - discount
        assert order.subtotal_price == expected_subtotal
        # the totals reconcile: lines after discounts + shipping + tax = what the customer paid
        assert order.subtotal_price + order.total_shipping + order.total_tax == order.total_price

        for mapped_address, key in (
            (order.shipping_address, "shipping_address"),
            (order.billing_address, "billing_address"),
        ):
            src_address = raw.get(key)
            if not src_address:
                assert mapped_address is None
                continue
            assert mapped_address is not None
            assert mapped_address.country_code == src_address["country_code"].upper()
            assert mapped_address.city == src_address["city"]
            assert mapped_address.zip == src_address["zip"]
            assert mapped_address.address2 == (src_address.get("address2") or None)


def test_country_codes_are_upper_cased_and_amounts_never_float() -> None:
    shared_dir()
    raw = _orders(SHARED / "shopify" / "samples" / "order_test1.json")[0]
    raw["shipping_address"]["country_code"] = "us"
    order = order_from_rest(raw)
    assert order.shipping_address is not None and order.shipping_address.country_code == "US"
    raw["total_price"] = 598.94  # a float, as json.loads without parse_float would give
    raw.pop("total_price_set")
    with pytest.raises(ShopifyMappingError, match="total_price"):
        order_from_rest(raw)
