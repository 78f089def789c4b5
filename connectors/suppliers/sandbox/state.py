"""The sandbox supplier's books: orders by reference, idempotency keys, stock and shipping.

Not thread-safe by itself: `server.SandboxSupplierServer` holds one lock around every call.
Counters live here too, because "each order reached the supplier exactly once" is read from them.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from connectors.suppliers.sandbox.catalogue import Item, build_catalogue
from connectors.suppliers.sandbox.config import SupplierSandboxConfig


class Refusal(Exception):
    """A business refusal (unknown SKU, out of stock, bad body): HTTP `status` with `reason`."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Parcel:
    tracking_number: str
    carrier: str
    tracking_url: str
    lines: list[tuple[str, int]]
    shipped_at: datetime


@dataclass
class SupplierOrder:
    id: str
    reference: str
    idempotency_key: str | None
    lines: list[tuple[str, int]]
    ship_to: dict[str, Any]
    created_at: datetime
    product_cost: Decimal
    shipping_cost: Decimal
    currency: str
    state: str = "accepted"  # accepted → shipped | cancelled
    parcels: list[Parcel] = field(default_factory=list)
    email: str | None = None  # the customer's, as the buyer sent it
    note: str | None = None  # the buyer's note (the hub sends its store order name)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "state": self.state,
            "currency": self.currency,
            "product_cost": format(self.product_cost, "f"),
            "shipping_cost": format(self.shipping_cost, "f"),
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in self.lines],
            "created_at": self.created_at.isoformat(),
            "shipments": [
                {
                    "tracking_number": p.tracking_number,
                    "carrier": p.carrier,
                    "tracking_url": p.tracking_url,
                    "lines": [{"sku": sku, "quantity": qty} for sku, qty in p.lines],
                    "shipped_at": p.shipped_at.isoformat(),
                }
                for p in self.parcels
            ],
        }


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class Books:
    def __init__(self, config: SupplierSandboxConfig) -> None:
        self.config = config
        self.catalogue: dict[str, Item] = build_catalogue(config)
        self.orders: dict[str, list[SupplierOrder]] = {}  # reference → orders (>1 only if keys ignored)
        self.keys: dict[str, str] = {}  # idempotency key → reference
        self.counts: Counter[str] = Counter()
        self.requests_per_reference: Counter[str] = Counter()
        self._next_id = 1

    # -- orders --------------------------------------------------------------------------------

    def create(self, body: Any, key: str | None, now: datetime) -> tuple[SupplierOrder, bool]:
        """The order for this request and whether it is a replay (same key seen before)."""
        reference, lines, ship_to = _validate(body)
        self.requests_per_reference[reference] += 1
        if key is not None and self.config.honour_idempotency and key in self.keys:
            if self.keys[key] != reference:
                self.counts["key_reused"] += 1
                raise Refusal(422, f"Idempotency-Key was first used for order {self.keys[key]!r}")
            self.counts["replays"] += 1
            return self.orders[reference][0], True
        if reference in self.orders and self.config.honour_idempotency:
            self.counts["conflicts"] += 1
            raise Refusal(409, f"order {reference!r} already exists under another Idempotency-Key")
        product_cost = shipping_cost = Decimal(0)
        wanted: Counter[str] = Counter()
        for sku, qty in lines:
            wanted[sku] += qty
        for sku, qty in wanted.items():
            item = self.catalogue.get(sku)
            if item is None:
                raise Refusal(422, f"unknown sku {sku!r}")
            if item.stock < qty:
                raise Refusal(422, f"out of stock: {sku!r} has {item.stock}, {qty} requested")
        for sku, qty in lines:
            item = self.catalogue[sku]
            item.stock -= qty
            product_cost += item.cost * qty
            shipping_cost += item.shipping * qty
        order = SupplierOrder(
            id=f"SO-{self._next_id:06d}", reference=reference, idempotency_key=key, lines=lines,
            ship_to=ship_to, created_at=now, product_cost=product_cost, shipping_cost=shipping_cost,
            currency=self.config.currency, email=_optional_text(body.get("email")),
            note=_optional_text(body.get("note")),
        )
        self._next_id += 1
        self.orders.setdefault(reference, []).append(order)
        if key is not None:
            self.keys.setdefault(key, reference)
        self.counts["orders_created"] += 1
        return order, False

    def find(self, reference: str) -> SupplierOrder | None:
        found = self.orders.get(reference)
        return found[0] if found else None

    def cancel(self, reference: str) -> SupplierOrder:
        order = self.find(reference)
        if order is None:
            raise Refusal(404, f"no order {reference!r}")
        if order.state == "shipped":
            raise Refusal(409, f"order {reference!r} has already shipped")
        if order.state == "accepted":
            order.state = "cancelled"
            self.counts["cancelled"] += 1
            for sku, qty in order.lines:
                self.catalogue[sku].stock += qty
        return order

    # -- shipping ------------------------------------------------------------------------------

    def ship_due(self, now: datetime) -> int:
        """Ship every accepted order older than `ship_after` (negative: never by itself)."""
        if self.config.ship_after < 0:
            return 0
        due = now - timedelta(seconds=self.config.ship_after)
        return sum(self.ship(o, now) for orders in self.orders.values() for o in orders
                   if o.state == "accepted" and o.created_at <= due)

    def ship(self, order: SupplierOrder, now: datetime) -> int:
        if order.state != "accepted":
            return 0
        rng = random.Random(_digest(str(self.config.seed), order.id))
        split = len(order.lines) >= 2 and rng.random() < self.config.split_rate
        groups = [order.lines[: len(order.lines) // 2], order.lines[len(order.lines) // 2:]] if split else [order.lines]
        for n, group in enumerate(groups):
            carrier = self.config.carriers[rng.randrange(len(self.config.carriers))]
            number = "1Z" + _digest(str(self.config.seed), order.id, str(n)).upper()[:16]  # unique per supplier
            url = f"https://tracking.sandbox-supplier.invalid/{carrier.lower()}/{number}"
            order.parcels.append(Parcel(number, carrier, url, list(group), now))
        order.state = "shipped"
        self.counts["shipped"] += 1
        return 1

    def stats(self) -> dict[str, Any]:
        per_reference = {ref: len(orders) for ref, orders in self.orders.items()}
        return {
            "order_requests": self.counts["order_requests"],
            "orders_created": self.counts["orders_created"],
            "replays": self.counts["replays"],
            "conflicts": self.counts["conflicts"],
            "rejected": self.counts["rejected"],
            "shipped": self.counts["shipped"],
            "cancelled": self.counts["cancelled"],
            "faults": {k.removeprefix("fault:"): v for k, v in self.counts.items() if k.startswith("fault:")},
            "orders_per_reference": per_reference,
            "requests_per_reference": dict(self.requests_per_reference),
            "duplicates": sorted(ref for ref, count in per_reference.items() if count > 1),
        }


def _validate(body: Any) -> tuple[str, list[tuple[str, int]], dict[str, Any]]:
    if not isinstance(body, dict):
        raise Refusal(400, "body must be a JSON object")
    reference = body.get("reference")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 100:
        raise Refusal(400, "reference must be a non-empty string of at most 100 characters")
    raw_lines = body.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise Refusal(400, "lines must be a non-empty list")
    lines: list[tuple[str, int]] = []
    for n, line in enumerate(raw_lines, 1):
        sku = line.get("sku") if isinstance(line, dict) else None
        qty = line.get("quantity") if isinstance(line, dict) else None
        if not isinstance(sku, str) or not sku or not isinstance(qty, int) or isinstance(qty, bool) or qty <= 0:
            raise Refusal(400, f"line {n}: needs sku (string) and quantity (positive integer)")
        lines.append((sku, qty))
    ship_to = body.get("ship_to") or {}
    if not isinstance(ship_to, dict):
        raise Refusal(400, "ship_to must be an object")
    return reference, lines, ship_to


def _optional_text(value: Any) -> str | None:
    return value[:500] if isinstance(value, str) and value else None
