"""Where every money fact of an order belongs: to which line (so to which product) and to which
supplier, split with a largest-remainder rule so the parts add up to the fact to the cent.

- A line's own facts (its sale) go to the supplier(s) that fulfil it, by quantity.
- A supplier order's facts (cost, shipping, FX difference, credits) go to its lines: cost by the
  lines' expected cost, shipping by their expected shipping (then by cost, then by quantity).
- Order-level facts (shipping charged, discount, fees, refunds, chargebacks, tax) go to the
  order's lines by their share of goods revenue, then on to each line's suppliers.
- Zero weights (an order given away, a line at price 0): the split falls back to quantity, and
  then to equal shares, so a fact is never lost or left without a product.

Pure: no database, no clock. `NOT_ROUTED` (supplier) and `NO_LINE` (line) name the parts that
belong to no supplier or no line, so a breakdown never has an empty key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hub.domain.ledger import SUPPLIER_SHIPPING
from hub.domain.money import minor_units

NOT_ROUTED = 0  # supplier id of a part no supplier fulfils (the line is not routed)
NO_LINE: None = None  # line id of a part of an order (or supplier order) without lines


def split(amount: Decimal, weights: Sequence[Decimal | int], currency: str,
          fallback: Sequence[Decimal | int] | None = None) -> list[Decimal]:
    """`amount` in parts proportional to `weights`, each a whole number of the currency's smallest
    unit (largest remainder, ties to the earlier part); what is below one unit (amounts are
    stored with 4 decimals) goes to the part of the largest weight. The parts sum to `amount`.

    Negative weights count as zero; all-zero weights use `fallback`, then equal shares."""
    if not weights:
        raise ValueError("cannot split an amount into no parts")
    chosen = _usable(weights) or (_usable(fallback) if fallback is not None else None) or [Fraction(1)] * len(weights)
    if len(chosen) != len(weights):
        raise ValueError("fallback weights must match the weights one to one")
    unit = Decimal(1).scaleb(-minor_units(currency))
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    units = int(magnitude // unit)
    residue = magnitude - units * unit
    total = sum(chosen)
    quotas = [Fraction(units) * Fraction(w) / Fraction(total) for w in chosen]
    floors = [int(q) for q in quotas]  # quotas are >= 0: int() is floor
    left = units - sum(floors)
    order = sorted(range(len(chosen)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    parts = [sign * Decimal(n) * unit for n in floors]
    biggest = max(range(len(chosen)), key=lambda i: (chosen[i], -i))
    parts[biggest] += sign * residue
    return parts


def _usable(weights: Sequence[Decimal | int] | None) -> list[Fraction] | None:
    if weights is None:
        return None
    clean = [Fraction(w) if w > 0 else Fraction(0) for w in weights]
    return clean if sum(clean) > 0 else None


@dataclass(frozen=True, slots=True)
class Line:
    """An order line: its goods revenue (sale after line discount) and who fulfils how many."""

    line_id: int
    quantity: int
    revenue: Decimal
    suppliers: tuple[tuple[int, int], ...] = ()  # (supplier id, quantity) of live supplier orders


@dataclass(frozen=True, slots=True)
class SupplierOrderLine:
    line_id: int
    quantity: int
    cost: Decimal  # expected unit cost x quantity
    shipping: Decimal


@dataclass(frozen=True, slots=True)
class Fact:
    """One ledger entry of the order, as the allocation sees it."""

    entry_id: int
    kind: str
    amount: Decimal
    currency: str
    order_line_id: int | None = None
    supplier_id: int | None = None
    supplier_order_id: int | None = None


@dataclass(frozen=True, slots=True)
class Part:
    entry_id: int
    line_id: int | None
    supplier_id: int  # NOT_ROUTED when no supplier fulfils it
    amount: Decimal


def allocate(facts: Sequence[Fact], lines: Sequence[Line],
             supplier_orders: dict[int, Sequence[SupplierOrderLine]]) -> list[Part]:
    """The parts of every fact of one order; for each fact its parts sum to its amount exactly."""
    by_id = {line.line_id: line for line in lines}
    parts: list[Part] = []
    for fact in facts:
        parts += _merge(fact, _allocate_fact(fact, lines, by_id, supplier_orders))
    return parts


def _allocate_fact(fact: Fact, lines: Sequence[Line], by_id: dict[int, Line],
                   supplier_orders: dict[int, Sequence[SupplierOrderLine]]) -> list[tuple[int | None, int, Decimal]]:
    so_lines = supplier_orders.get(fact.supplier_order_id) if fact.supplier_order_id is not None else None
    if so_lines:
        supplier = fact.supplier_id or NOT_ROUTED
        quantities = [s.quantity for s in so_lines]
        costs = [s.cost for s in so_lines]
        if fact.kind == SUPPLIER_SHIPPING:
            weights = [s.shipping for s in so_lines]
            fallback = costs if _usable(costs) else quantities
        else:
            weights, fallback = costs, quantities
        amounts = split(fact.amount, weights, fact.currency, fallback)
        return [(s.line_id, supplier, a) for s, a in zip(so_lines, amounts, strict=True)]
    if fact.supplier_id is not None and fact.order_line_id not in by_id:
        # A supplier's fact without lines to spread on: it stays with its supplier, on no line.
        return [(NO_LINE, fact.supplier_id, fact.amount)]
    if fact.order_line_id is not None and fact.order_line_id in by_id:
        return _to_suppliers(by_id[fact.order_line_id], fact.amount, fact.currency, fact.supplier_id)
    if not lines:
        return [(NO_LINE, fact.supplier_id or NOT_ROUTED, fact.amount)]
    amounts = split(fact.amount, [line.revenue for line in lines], fact.currency, [line.quantity for line in lines])
    result: list[tuple[int | None, int, Decimal]] = []
    for line, amount in zip(lines, amounts, strict=True):
        result += _to_suppliers(line, amount, fact.currency, fact.supplier_id)
    return result


def _to_suppliers(line: Line, amount: Decimal, currency: str,
                  supplier_id: int | None) -> list[tuple[int | None, int, Decimal]]:
    """A line's amount to the suppliers that fulfil it, by quantity (a supplier's own fact stays
    with that supplier)."""
    if supplier_id is not None:
        return [(line.line_id, supplier_id, amount)]
    if not line.suppliers:
        return [(line.line_id, NOT_ROUTED, amount)]
    amounts = split(amount, [quantity for _, quantity in line.suppliers], currency)
    return [(line.line_id, supplier, a) for (supplier, _), a in zip(line.suppliers, amounts, strict=True)]


def _merge(fact: Fact, pieces: list[tuple[int | None, int, Decimal]]) -> list[Part]:
    """One part per (line, supplier), in first-seen order; zero parts are dropped unless all are."""
    merged: dict[tuple[int | None, int], Decimal] = {}
    for line_id, supplier, amount in pieces:
        merged[(line_id, supplier)] = merged.get((line_id, supplier), Decimal(0)) + amount
    parts = [Part(fact.entry_id, line_id, supplier, amount) for (line_id, supplier), amount in merged.items()
             if amount]
    if not parts:
        line_id, supplier, _ = pieces[0]
        parts = [Part(fact.entry_id, line_id, supplier, fact.amount)]
    return parts
