"""A sandbox supplier that keeps its books in a file, so `hub run --sandbox` stopped and started
again finds every order it sent still there: a look-up by reference before re-sending works across
restarts, idempotency keys are still honoured, stock and shipments stay as they were.

The books are saved after each request that changed them, before the answer leaves. A file that
cannot be read is set aside with one log line; the supplier then starts with empty books and order
ids taken from the clock, so none repeats.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connectors.statefile import CorruptState, StateFile, time_based_id
from connectors.suppliers.sandbox.catalogue import Item
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import Reply, SandboxSupplierServer
from connectors.suppliers.sandbox.state import Books, Parcel, SupplierOrder

logger = logging.getLogger(__name__)

KIND = "sandbox-supplier"


def _lines(lines: list[tuple[str, int]]) -> list[list[Any]]:
    return [[sku, qty] for sku, qty in lines]


def _load_lines(raw: list[list[Any]]) -> list[tuple[str, int]]:
    return [(str(sku), int(qty)) for sku, qty in raw]


def _order(o: SupplierOrder) -> dict[str, Any]:
    return {
        "id": o.id, "reference": o.reference, "idempotency_key": o.idempotency_key, "lines": _lines(o.lines),
        "ship_to": o.ship_to, "created_at": o.created_at.isoformat(), "product_cost": format(o.product_cost, "f"),
        "shipping_cost": format(o.shipping_cost, "f"), "currency": o.currency, "state": o.state,
        "email": o.email, "note": o.note,
        "parcels": [{"tracking_number": p.tracking_number, "carrier": p.carrier, "tracking_url": p.tracking_url,
                     "lines": _lines(p.lines), "shipped_at": p.shipped_at.isoformat()} for p in o.parcels],
    }


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without offset: {value!r}")
    return parsed


def _load_order(raw: dict[str, Any]) -> SupplierOrder:
    return SupplierOrder(
        id=str(raw["id"]), reference=str(raw["reference"]), idempotency_key=raw["idempotency_key"],
        lines=_load_lines(raw["lines"]), ship_to=dict(raw["ship_to"]), created_at=_time(raw["created_at"]),
        product_cost=Decimal(raw["product_cost"]), shipping_cost=Decimal(raw["shipping_cost"]),
        currency=str(raw["currency"]), state=str(raw["state"]), email=raw["email"], note=raw["note"],
        parcels=[Parcel(str(p["tracking_number"]), str(p["carrier"]), str(p["tracking_url"]), _load_lines(p["lines"]),
                        _time(p["shipped_at"])) for p in raw["parcels"]],
    )


def dump_books(books: Books) -> dict[str, Any]:
    return {
        "next_id": books._next_id,
        "catalogue": [[i.sku, format(i.cost, "f"), format(i.shipping, "f"), i.stock] for i in books.catalogue.values()],
        "orders": [_order(o) for orders in books.orders.values() for o in orders],
        "keys": books.keys,
        "counts": dict(books.counts),
        "requests_per_reference": dict(books.requests_per_reference),
    }


def load_books(books: Books, state: dict[str, Any]) -> None:
    """Replace the books' contents (KeyError, TypeError or ValueError when the state is malformed)."""
    books.catalogue = {str(sku): Item(str(sku), Decimal(cost), Decimal(shipping), int(stock))
                       for sku, cost, shipping, stock in state["catalogue"]}
    orders: dict[str, list[SupplierOrder]] = {}
    for raw in state["orders"]:
        order = _load_order(raw)
        orders.setdefault(order.reference, []).append(order)
    books.orders = orders
    books.keys = {str(k): str(v) for k, v in dict(state["keys"]).items()}
    books.counts = Counter({str(k): int(v) for k, v in dict(state["counts"]).items()})
    books.requests_per_reference = Counter({str(k): int(v) for k, v in dict(state["requests_per_reference"]).items()})
    books._next_id = int(state["next_id"])


class DurableSandboxSupplier(SandboxSupplierServer):
    """`SandboxSupplierServer` whose books live in `path` (loaded at start, saved on every change)."""

    def __init__(self, config: SupplierSandboxConfig, path: Path, *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(config, now=now, sleep=sleep)
        self.state_file = StateFile(path, KIND)
        problem: str | None = None
        try:
            state = self.state_file.read()
            if state is not None:
                load_books(self.books, state)
        except CorruptState as exc:
            problem = str(exc)
        except (KeyError, IndexError, TypeError, ValueError, ArithmeticError) as exc:
            problem = f"{path}: malformed state ({type(exc).__name__}: {exc})"
        if problem is not None:
            self.books = Books(config)
            self.books._next_id = time_based_id()
            aside = self.state_file.set_aside()
            logger.warning("sandbox supplier %s: state unreadable, starting with empty books and new ids: %s%s",
                           config.name, problem, f" (kept as {aside})" if aside else "")
        self.save()

    def save(self) -> None:
        """Write the books if they changed (atomically, under the lock)."""
        with self._lock:
            self.state_file.write(dump_books(self.books))

    def _version(self) -> tuple[int, int]:
        """Moves with every change of the books (each one counts itself), cheaply: most requests
        are look-ups, and serialising every order for each of them would grow with the books."""
        with self._lock:
            return self.books._next_id, self.books.counts.total()

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        before = self._version()
        reply = super().handle(method, path, query, headers, body)
        if method.upper() != "GET" or self._version() != before:  # a GET may ship what was due
            self.save()
        return reply

    def stats(self) -> dict[str, Any]:
        before = self._version()
        result = super().stats()
        if self._version() != before:
            self.save()
        return result
