"""Builders of domain values for tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hub.domain.orders import Address, FinancialStatus, FulfillmentStatus, OrderIn, OrderLineIn

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def make_order(external_id: str = "1001", *, lines: int = 2, minutes: int = 0, price: str = "10.00",
               currency: str = "USD", financial: FinancialStatus = FinancialStatus.PAID) -> OrderIn:
    order_lines = tuple(
        OrderLineIn(external_id=f"{external_id}-{i}", sku=f"SKU-{i}", title=f"Item {i}", quantity=i,
                    unit_price=Decimal(price), variant_id=str(9000 + i))
        for i in range(1, lines + 1)
    )
    subtotal = sum((line.unit_price * line.quantity for line in order_lines), Decimal(0))
    return OrderIn(
        external_id=external_id, name=f"#{external_id}", currency=currency, created_at=T0,
        updated_at=T0 + timedelta(minutes=minutes), financial_status=financial,
        fulfillment_status=FulfillmentStatus.UNFULFILLED, subtotal_price=subtotal,
        total_discounts=Decimal(0), total_shipping=Decimal("4.90"), total_tax=Decimal(0),
        total_price=subtotal + Decimal("4.90"), lines=order_lines, email="buyer@example.com",
        shipping_address=Address(name="Ada", address1="1 Main St", city="Springfield", country_code="US"),
    )


def touched(order: OrderIn, minutes: int, **changes: object) -> OrderIn:
    return replace(order, updated_at=order.updated_at + timedelta(minutes=minutes), **changes)  # type: ignore[arg-type]
