"""The sandbox supplier and its adapter: idempotency, retries, shipping, cancel rules, stock."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.http import RemoteRejected, RemoteUnavailable
from connectors.suppliers.sandbox import (
    SandboxSupplier,
    SandboxSupplierServer,
    SupplierFaults,
    SupplierSandboxConfig,
)
from hub.ports import SupplierOrderState
from tests.connectors.suppliers.helpers import Clock, no_wait, order_request

CATALOGUE = {
    "A": (Decimal("4.50"), Decimal("1.25"), 10),
    "B": (Decimal("10.00"), Decimal("2.00"), 3),
}


def make(config: SupplierSandboxConfig | None = None, clock: Clock | None = None,
         attempts: int = 5) -> tuple[SandboxSupplierServer, SandboxSupplier]:
    server = SandboxSupplierServer(config or SupplierSandboxConfig(catalogue=CATALOGUE, ship_after=60),
                                   now=clock or Clock(), sleep=lambda _s: None)
    return server, SandboxSupplier("http://supplier", transport=server.transport(), retry=no_wait(attempts))


def raw_post(server: SandboxSupplierServer, body: dict[str, object], key: str | None) -> httpx.Response:
    with httpx.Client(transport=server.transport(), base_url="http://supplier") as client:
        return client.post("/orders", json=body, headers={"Idempotency-Key": key} if key else {})


BODY = {"reference": "R-1", "lines": [{"sku": "A", "quantity": 2}], "ship_to": {"country_code": "GB"},
        "currency": "USD"}


def test_same_key_twice_creates_one_order_and_returns_the_first_result() -> None:
    server, _ = make()
    first = raw_post(server, BODY, "k1")
    second = raw_post(server, BODY, "k1")
    assert first.status_code == 201 and second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    stats = server.stats()
    assert stats["order_requests"] == 2
    assert stats["orders_created"] == 1
    assert stats["replays"] == 1
    assert stats["orders_per_reference"] == {"R-1": 1}
    assert server.books.catalogue["A"].stock == 8  # stock taken once


def test_new_key_for_a_used_reference_is_a_conflict() -> None:
    server, _ = make()
    assert raw_post(server, BODY, "k1").status_code == 201
    again = raw_post(server, BODY, "k2")
    assert again.status_code == 409
    assert server.stats()["orders_created"] == 1


def test_supplier_that_ignores_keys_duplicates_and_stats_show_it() -> None:
    server, _ = make(SupplierSandboxConfig(catalogue=CATALOGUE, honour_idempotency=False))
    raw_post(server, BODY, "k1")
    raw_post(server, BODY, "k1")
    assert server.stats()["duplicates"] == ["R-1"]


def test_place_order_charges_cost_and_shipping() -> None:
    _, supplier = make()
    status = supplier.place_order(order_request("SO-1", ("A", 2), ("B", 1)))
    assert status.state is SupplierOrderState.ACCEPTED
    assert status.reference == "SO-1" and status.remote_id.startswith("SO-")
    assert status.product_cost == Decimal("19.00")
    assert status.shipping_cost == Decimal("4.50")
    assert status.currency == "USD"


def test_a_retry_after_a_lost_answer_does_not_double() -> None:
    config = SupplierSandboxConfig(faults=SupplierFaults(rates={"timeout": 0.4}, seed=3))
    server, supplier = make(config, attempts=10)
    for n in range(30):
        status = supplier.place_order(order_request(f"SO-{n}", ("SBX-0001-1", 1)))
        assert status.reference == f"SO-{n}"
    stats = server.stats()
    assert stats["faults"]["timeout"] > 0  # answers were lost after the work was done…
    assert stats["order_requests"] > 30  # …so the adapter re-sent…
    assert stats["replays"] == stats["faults"]["timeout"]  # …and every re-send was a replay
    assert stats["orders_created"] == 30
    assert set(stats["orders_per_reference"].values()) == {1}


def test_timeout_on_every_attempt_surfaces_as_unavailable_yet_one_order() -> None:
    server, supplier = make(SupplierSandboxConfig(catalogue=CATALOGUE, faults=SupplierFaults(rates={"timeout": 1.0})),
                            attempts=3)
    with pytest.raises(RemoteUnavailable):
        supplier.place_order(order_request("SO-T", ("A", 1)))
    assert server.stats()["orders_per_reference"] == {"SO-T": 1}
    # the core retries later with the same key: the first result comes back, no second order
    server.config.faults.rates.clear()
    status = supplier.place_order(order_request("SO-T", ("A", 1)))
    assert status.reference == "SO-T"
    assert server.stats()["orders_created"] == 1


def test_5xx_and_429_are_retried_then_succeed() -> None:
    server, supplier = make(SupplierSandboxConfig(catalogue=CATALOGUE,
                                                  faults=SupplierFaults(rates={"5xx": 0.3, "429": 0.3}, seed=5)),
                            attempts=20)
    for n in range(5):
        supplier.place_order(order_request(f"SO-{n}", ("A", 1)))
    stats = server.stats()
    assert stats["faults"].get("5xx", 0) + stats["faults"].get("429", 0) > 0
    assert stats["orders_created"] == 5


def test_rejection_is_permanent_with_the_reason() -> None:
    server, supplier = make()
    with pytest.raises(RemoteRejected, match="out of stock"):
        supplier.place_order(order_request("SO-X", ("B", 4)))
    with pytest.raises(RemoteRejected, match="unknown sku"):
        supplier.place_order(order_request("SO-Y", ("NOPE", 1)))
    assert server.stats()["order_requests"] == 2  # refusals are not retried
    assert server.stats()["orders_created"] == 0


def test_conflict_adopts_the_order_already_placed_under_our_reference() -> None:
    server, supplier = make()
    first = supplier.place_order(order_request("SO-1", ("A", 1), key="old-key"))
    again = supplier.place_order(order_request("SO-1", ("A", 1), key="new-key"))
    assert again.remote_id == first.remote_id
    assert server.stats()["orders_created"] == 1


def test_get_order_unknown_is_none_and_ships_after_the_delay() -> None:
    clock = Clock()
    _, supplier = make(SupplierSandboxConfig(catalogue=CATALOGUE, ship_after=30, split_rate=0.0), clock)
    assert supplier.get_order("missing") is None
    supplier.place_order(order_request("SO-1", ("A", 1), ("B", 1)))
    status = supplier.get_order("SO-1")
    assert status is not None and status.state is SupplierOrderState.ACCEPTED and status.shipments == ()
    clock.advance(31)
    shipped = supplier.get_order("SO-1")
    assert shipped is not None and shipped.state is SupplierOrderState.SHIPPED
    (parcel,) = shipped.shipments
    assert parcel.carrier in ("UPS", "DHL", "USPS") and parcel.tracking_number.startswith("1Z")
    assert parcel.shipped_at == clock.value
    assert parcel.lines == (("A", 1), ("B", 1))


def test_split_shipment_puts_every_line_in_one_of_two_parcels() -> None:
    server, supplier = make(SupplierSandboxConfig(catalogue=CATALOGUE, ship_after=-1, split_rate=1.0))
    supplier.place_order(order_request("SO-1", ("A", 2), ("B", 1)))
    assert supplier.get_order("SO-1").state is SupplierOrderState.ACCEPTED  # never ships by itself
    with httpx.Client(transport=server.transport(), base_url="http://supplier") as client:
        assert client.post("/_ship", json={"reference": "SO-1"}).json() == {"shipped": 1}
    status = supplier.get_order("SO-1")
    assert status is not None and len(status.shipments) == 2
    assert sorted(line for s in status.shipments for line in s.lines) == [("A", 2), ("B", 1)]
    assert len({s.tracking_number for s in status.shipments}) == 2


def test_cancel_rules() -> None:
    clock = Clock()
    server, supplier = make(SupplierSandboxConfig(catalogue=CATALOGUE, ship_after=10), clock)
    supplier.place_order(order_request("SO-1", ("A", 4)))
    supplier.place_order(order_request("SO-2", ("A", 1)))
    assert server.books.catalogue["A"].stock == 5
    assert supplier.cancel_order("SO-1") is True
    assert supplier.cancel_order("SO-1") is True  # cancelling twice is harmless
    assert server.books.catalogue["A"].stock == 9  # stock came back once
    assert supplier.get_order("SO-1").state is SupplierOrderState.CANCELLED
    clock.advance(11)
    assert supplier.cancel_order("SO-2") is False  # shipped: too late
    with pytest.raises(RemoteRejected):
        supplier.cancel_order("never-placed")


def test_stock_by_sku_including_unknown() -> None:
    _, supplier = make()
    levels = supplier.stock(["A", "B", "ZZZ"])
    assert [(s.sku, s.quantity) for s in levels] == [("A", 10), ("B", 3), ("ZZZ", 0)]
    supplier.place_order(order_request("SO-1", ("B", 2)))
    assert supplier.stock(["B"])[0].quantity == 1


def test_api_key_is_required_when_configured() -> None:
    server = SandboxSupplierServer(SupplierSandboxConfig(catalogue=CATALOGUE, api_key="s3cret"))
    wrong = SandboxSupplier("http://supplier", api_key="nope", transport=server.transport(), retry=no_wait())
    right = SandboxSupplier("http://supplier", api_key="s3cret", transport=server.transport(), retry=no_wait())
    with pytest.raises(RemoteRejected) as caught:
        wrong.stock(["A"])
    assert caught.value.status == 401
    assert right.stock(["A"])[0].quantity == 10
    assert "s3cret" not in repr(right)


def test_generated_catalogue_is_deterministic_and_overlaps_by_coverage() -> None:
    one = SandboxSupplierServer(SupplierSandboxConfig(seed=1, coverage=0.7)).books.catalogue
    again = SandboxSupplierServer(SupplierSandboxConfig(seed=1, coverage=0.7)).books.catalogue
    dearer = SupplierSandboxConfig(seed=2, coverage=0.7, price_factor=Decimal("1.2"))
    other = SandboxSupplierServer(dearer).books.catalogue
    assert {k: (v.cost, v.stock) for k, v in one.items()} == {k: (v.cost, v.stock) for k, v in again.items()}
    assert 0 < len(set(one) & set(other)) < len(one)
    assert all(sku.startswith("SBX-") for sku in one)


def test_the_same_sku_on_two_lines_cannot_oversell() -> None:
    server, supplier = make()
    with pytest.raises(RemoteRejected, match="out of stock"):
        supplier.place_order(order_request("SO-1", ("B", 2), ("B", 2)))  # 3 in stock
    assert server.books.catalogue["B"].stock == 3


def test_concurrent_repeats_of_the_same_orders_create_each_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    server = SandboxSupplierServer(SupplierSandboxConfig(stock_range=(10_000, 10_000)))

    def place(n: int) -> str:
        adapter = SandboxSupplier("http://supplier", transport=server.transport(), retry=no_wait())
        return adapter.place_order(order_request(f"SO-{n % 40}", ("SBX-0001-1", 1))).remote_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(place, range(320)))
    stats = server.stats()
    assert stats["order_requests"] == 320
    assert stats["orders_created"] == 40 and stats["replays"] == 280
    assert len(set(ids)) == 40
    assert server.books.catalogue["SBX-0001-1"].stock == 10_000 - 40


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2)), max_size=25))
def test_orders_created_never_exceed_distinct_references(attempts: list[tuple[int, int]]) -> None:
    """Any mix of references and keys: one order per reference, a new key on a used reference is a
    409, a key reused for another reference a 422."""
    server = SandboxSupplierServer(SupplierSandboxConfig(stock_range=(1000, 1000)))
    first_key: dict[int, int] = {}
    key_owner: dict[int, int] = {}
    for ref, key in attempts:
        body = {"reference": f"R{ref}", "lines": [{"sku": "SBX-0001-1", "quantity": 1}]}
        status = raw_post(server, body, f"k{key}").status_code
        if key in key_owner and key_owner[key] != ref:
            assert status == 422
        elif ref in first_key and first_key[ref] != key:
            assert status == 409
        else:
            assert status == (200 if ref in first_key else 201)
            first_key.setdefault(ref, key)
            key_owner.setdefault(key, ref)
    stats = server.stats()
    assert stats["orders_created"] == len(first_key)
    assert all(count == 1 for count in stats["orders_per_reference"].values())
