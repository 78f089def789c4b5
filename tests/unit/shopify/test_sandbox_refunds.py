"""The sandbox shop's refunds and cancellations add up like a real shop's: parts sum to the order,
nobody gets back more than they paid, and payouts carry refunds so they still reconcile."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.shopify.sandbox import data as d
from connectors.shopify.sandbox.refunds import refunded_quantity

AT = datetime(2026, 11, 1, tzinfo=UTC)


def shop(**overrides: object) -> SandboxShopify:
    return SandboxShopify(SandboxConfig(orders=0, order_discount_rate=1.0, **overrides))  # type: ignore[arg-type]


def test_order_discount_is_in_the_totals_and_tax_follows_the_discounted_subtotal() -> None:
    (order,) = shop().create_orders(1, at=AT)
    assert order.order_discount > 0
    lines = sum((ln.price * ln.quantity - ln.discount for ln in order.lines), Decimal(0))
    assert order.subtotal == lines - order.order_discount
    assert order.discounts == sum((ln.discount for ln in order.lines), Decimal(0)) + order.order_discount
    assert order.tax == d.money(order.subtotal * d.TAX_RATE)


@pytest.mark.parametrize("seed", range(40))
def test_refunding_every_unit_in_random_parts_returns_exactly_what_was_paid(seed: int) -> None:
    rng = random.Random(seed)
    sandbox = shop(seed=seed)
    (order,) = sandbox.create_orders(1, at=AT)
    moment = AT
    while any(refunded_quantity(order, ln) < ln.quantity for ln in order.lines):
        moment += timedelta(minutes=1)
        line = rng.choice([ln for ln in order.lines if refunded_quantity(order, ln) < ln.quantity])
        left = line.quantity - refunded_quantity(order, line)
        sandbox.refund_order(order, moment, [(line, rng.randint(1, left))], shipping=rng.random() < 0.5)
    remaining_shipping = order.shipping - sum((r.shipping for r in order.refunds), Decimal(0))
    if remaining_shipping:
        sandbox.refund_order(order, moment, shipping=True)
    assert order.refunded == order.total and order.financial_status == "REFUNDED"
    assert sum((rl.tax for r in order.refunds for rl in r.lines), Decimal(0)) == order.tax
    refunds = [t for t in order.transactions if t.kind == "REFUND"]
    assert sum((t.amount for t in refunds), Decimal(0)) == order.total and all(t.fee == 0 for t in refunds)


def test_a_refund_beyond_what_is_left_is_refused_and_changes_nothing() -> None:
    sandbox = shop()
    (order,) = sandbox.create_orders(1, at=AT)
    with pytest.raises(ValueError, match="does not fit"):
        sandbox.refund_order(order, AT, adjustment=order.total + Decimal("0.01"))
    with pytest.raises(ValueError, match="cannot refund"):
        sandbox.refund_order(order, AT, [(order.lines[0], order.lines[0].quantity + 1)])
    assert order.refunds == [] and order.financial_status == "PAID"


def test_cancel_after_a_goodwill_refund_returns_only_the_rest() -> None:
    sandbox = shop()
    (order,) = sandbox.create_orders(1, at=AT)
    sandbox.refund_order(order, AT, adjustment=Decimal("5.00"))
    sandbox.cancel_order(order, AT + timedelta(hours=1))
    assert order.cancelled_at is not None and order.refunded == order.total
    assert order.financial_status == "REFUNDED"


def test_payouts_carry_refunds_and_net_to_their_transactions() -> None:
    sandbox = shop()
    orders = sandbox.create_orders(3, at=AT)
    sandbox.refund_order(orders[0], AT + timedelta(hours=1), [(orders[0].lines[0], 1)])
    sandbox.cancel_order(orders[1], AT + timedelta(hours=1))
    sandbox.settle_payouts(AT + timedelta(days=1))
    (payout,) = sandbox.data.payouts
    kinds = sorted(t.kind for _, t in payout.transactions)
    assert kinds == ["REFUND", "REFUND", "SALE", "SALE", "SALE"]
    net = sum((a - f for a, f in (d.balance_amounts(t) for _, t in payout.transactions)), Decimal(0))
    sales = sum((o.total - o.transactions[0].fee for o in orders), Decimal(0))
    assert net == sales - orders[0].refunded - orders[1].refunded
