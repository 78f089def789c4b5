"""Refunds and cancellations in the sandbox shop, shaped like Shopify's: a refund returns units of
lines (at what they cost after line and order discounts, plus their tax), shipping, and possibly an
amount beyond them; a cancellation refunds whatever is left. Each creates a REFUND transaction
(fees are not returned, as with Shopify Payments) and updates the order.

Called with the server's lock held (see `SandboxShopify.refund_order` / `cancel_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from connectors.shopify.sandbox.data import TAX_RATE, Line, Order, Refund, RefundLine, ShopData, Transaction, money

ZERO = Decimal("0.00")


def refunded_quantity(order: Order, line: Line) -> int:
    return sum(rl.quantity for r in order.refunds for rl in r.lines if rl.line is line)


def _line_net(order: Order, line: Line) -> Decimal:
    """What the whole line cost the customer: after its own discount and its share of the order's
    (shares rounded to the cent, the last line taking the remainder, so they sum to the discount)."""
    nets = [ln.price * ln.quantity - ln.discount for ln in order.lines]
    total = sum(nets, Decimal(0))
    shares = [money(order.order_discount * net / total) if total else Decimal(0) for net in nets]
    shares[-1] = order.order_discount - sum(shares[:-1], Decimal(0))
    index = next(i for i, ln in enumerate(order.lines) if ln is line)
    return nets[index] - shares[index]


def _units_subtotal(order: Order, line: Line, quantity: int) -> Decimal:
    """Subtotal of `quantity` more units; the last units take what is left, so a line refunded in
    parts sums to exactly what it cost."""
    done = refunded_quantity(order, line)
    already = sum((rl.subtotal for r in order.refunds for rl in r.lines if rl.line is line), Decimal(0))
    net = _line_net(order, line)
    if done + quantity == line.quantity:
        return net - already
    return money(net * quantity / line.quantity)


def _draft(shop: ShopData, order: Order, at: datetime, items: Sequence[tuple[Line, int]], shipping: bool,
           adjustment: Decimal) -> Refund:
    lines = []
    for line, quantity in items:
        left = line.quantity - refunded_quantity(order, line)
        if not 0 < quantity <= left:
            raise ValueError(f"line {line.id}: cannot refund {quantity} of {left} remaining units")
        subtotal = _units_subtotal(order, line, quantity)
        lines.append(RefundLine(shop.new_id(), line, quantity, subtotal, money(subtotal * TAX_RATE)))
    refunded_units = sum(refunded_quantity(order, ln) for ln in order.lines) + sum(q for _, q in items)
    if lines and refunded_units == sum(ln.quantity for ln in order.lines):
        # The last units of the order: their tax is what is left of the order's, so the parts sum to it.
        earlier = sum((rl.tax for r in order.refunds for rl in r.lines), Decimal(0))
        lines[-1].tax = order.tax - earlier - sum((rl.tax for rl in lines[:-1]), Decimal(0))
    shipping_amount = ZERO
    if shipping:
        shipping_amount = order.shipping - sum((r.shipping for r in order.refunds), Decimal(0))
    sale = next(t for t in order.transactions if t.kind == "SALE")
    return Refund(shop.new_id(), at, lines, shipping_amount, ZERO, adjustment,
                  Transaction(shop.new_id(), "REFUND", "SUCCESS", ZERO, ZERO, at, parent_id=sale.id))


def _commit(shop: ShopData, order: Order, record: Refund, at: datetime) -> Refund:
    if record.total <= 0 or order.refunded + record.total > order.total:
        raise ValueError(f"refund of {record.total} does not fit: {order.total - order.refunded} refundable")
    record.transaction.amount = record.total
    order.refunds.append(record)
    order.transactions.append(record.transaction)
    order.financial_status = "REFUNDED" if order.refunded == order.total else "PARTIALLY_REFUNDED"
    shop.touch(order, at)
    return record


def refund(shop: ShopData, order: Order, at: datetime, items: Sequence[tuple[Line, int]] = (),
           shipping: bool = False, adjustment: Decimal = ZERO) -> Refund:
    """Refund units of lines, optionally all of the shipping, and an extra amount; returns the refund."""
    return _commit(shop, order, _draft(shop, order, at, items, shipping, adjustment), at)


def cancel(shop: ShopData, order: Order, at: datetime) -> Refund | None:
    """Cancel an order and refund what is left of it (items, shipping; an adjustment evens out an
    earlier goodwill refund so the customer never gets back more than they paid)."""
    items = [(ln, ln.quantity - refunded_quantity(order, ln)) for ln in order.lines]
    items = [(ln, qty) for ln, qty in items if qty > 0]
    record = None
    left = order.total - order.refunded
    if left > 0:
        draft = _draft(shop, order, at, items, True, ZERO)
        draft.adjustment = left - draft.total
        record = _commit(shop, order, draft, at)
    order.cancelled_at = at
    shop.touch(order, at)
    return record
