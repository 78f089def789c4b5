"""The sandbox supplier of `hub run --sandbox` across restarts: it remembers every order it was
sent (look-up and idempotency keys still work), its stock and shipments; a corrupt file costs one
log line and never an order id twice."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.suppliers.sandbox import SandboxSupplier, SupplierSandboxConfig
from connectors.suppliers.sandbox.durable import DurableSandboxSupplier
from hub.ports import SupplierOrderState
from tests.connectors.suppliers.helpers import Clock, no_wait, order_request

CATALOGUE = {"A": (Decimal("4.50"), Decimal("1.25"), 10), "B": (Decimal("10.00"), Decimal("2.00"), 30)}


def start(path: Path, clock: Clock) -> tuple[DurableSandboxSupplier, SandboxSupplier]:
    server = DurableSandboxSupplier(SupplierSandboxConfig(catalogue=CATALOGUE, ship_after=60), path, now=clock,
                                    sleep=lambda _s: None)
    return server, SandboxSupplier("http://supplier", transport=server.transport(), retry=no_wait())


def test_a_restarted_supplier_remembers_every_order_its_stock_and_its_shipments(tmp_path: Path) -> None:
    clock, path = Clock(), tmp_path / "east.json"
    _, adapter = start(path, clock)
    adapter.place_order(order_request("R-1", ("A", 2)))
    adapter.place_order(order_request("R-2", ("A", 1), ("B", 3)))
    adapter.place_order(order_request("R-3", ("B", 1)))
    assert adapter.cancel_order("R-3")
    clock.advance(61)
    shipped = adapter.get_order("R-1")  # the look-up ships what is due
    assert shipped is not None and shipped.state is SupplierOrderState.SHIPPED
    before = {ref: adapter.get_order(ref) for ref in ("R-1", "R-2", "R-3")}

    again, adapter = start(path, clock)  # the first process was killed: nothing closed, nothing flushed
    assert {ref: adapter.get_order(ref) for ref in ("R-1", "R-2", "R-3")} == before
    assert {sku: i.stock for sku, i in again.books.catalogue.items()} == {"A": 7, "B": 27}
    replay = adapter.place_order(order_request("R-2", ("A", 1), ("B", 3)))  # same key: the first answer
    assert replay.remote_id == before["R-2"].remote_id  # type: ignore[union-attr]
    new = adapter.place_order(order_request("R-4", ("B", 1)))
    assert new.remote_id not in {s.remote_id for s in before.values() if s}
    stats = again.stats()
    assert stats["orders_created"] == 4 and stats["duplicates"] == [] and stats["replays"] == 1


def test_orders_placed_across_many_restarts_are_each_there_once(tmp_path: Path) -> None:
    clock, path = Clock(), tmp_path / "west.json"
    ids = []
    for n in range(5):
        _, adapter = start(path, clock)
        ids.append(adapter.place_order(order_request(f"R-{n}", ("B", 1))).remote_id)
        adapter.place_order(order_request(f"R-{n}", ("B", 1)))  # a resend after a lost answer
    server, _ = start(path, clock)
    assert len(set(ids)) == 5
    assert server.stats()["orders_per_reference"] == {f"R-{n}": 1 for n in range(5)}


@pytest.mark.parametrize("content", [b"\x00\xff garbage", b'{"format": 1, "kind": "sandbox-supplier", "state": {}}',
                                     b'{"format": 1, "kind": "sandbox-shop", "state": {}}'])
def test_a_corrupt_file_costs_one_log_line_and_no_order_id_repeats(
        tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture) -> None:
    clock, path = Clock(), tmp_path / "east.json"
    _, adapter = start(path, clock)
    first = adapter.place_order(order_request("R-1", ("A", 1))).remote_id
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        _, adapter = start(path, clock)
    (record,) = [r for r in caplog.records if r.name.startswith("connectors")]
    assert "empty books and new ids" in record.getMessage() and record.exc_info is None
    assert adapter.place_order(order_request("R-2", ("A", 1))).remote_id != first
    _, adapter = start(path, clock)  # and the fresh books are kept from then on
    assert adapter.get_order("R-2") is not None
