"""The registry's supplier factory: every kind, injected transports, clear errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from connectors.registry import ConnectorRegistry
from connectors.suppliers.cj import CJSupplier
from connectors.suppliers.cj.emulator import DEMO_API_KEY, CJEmulator
from connectors.suppliers.csv_po import CsvPurchaseOrderSupplier
from connectors.suppliers.sandbox import SandboxSupplier, SandboxSupplierServer, SupplierSandboxConfig
from tests.connectors.suppliers.helpers import order_request


def test_sandbox_suppliers_get_their_own_transport_by_code() -> None:
    a = SandboxSupplierServer(SupplierSandboxConfig(seed=1))
    b = SandboxSupplierServer(SupplierSandboxConfig(seed=2))
    registry = ConnectorRegistry(supplier_transports={"sup-a": a.transport(), "sup-b": b.transport()})
    first = registry.supplier("sandbox", {"code": "sup-a"}, {})
    second = registry.supplier("sandbox", {"code": "sup-b", "base_url": "http://b"}, {})
    assert isinstance(first, SandboxSupplier) and first.honours_idempotency_key
    first.place_order(order_request("SO-1", ("SBX-0001-1", 1)))
    second.place_order(order_request("SO-2", ("SBX-0001-1", 1)))
    assert a.stats()["orders_per_reference"] == {"SO-1": 1}
    assert b.stats()["orders_per_reference"] == {"SO-2": 1}


def test_transport_by_kind_and_api_key_secret() -> None:
    server = SandboxSupplierServer(SupplierSandboxConfig(api_key="k"))
    registry = ConnectorRegistry(supplier_transports={"sandbox": server.transport()})
    assert registry.supplier("sandbox", {}, {"api_key": "k"}).stock(["SBX-0001-1"])[0].quantity > 0


def test_cj_and_its_required_key() -> None:
    cj = CJEmulator()
    registry = ConnectorRegistry(supplier_transports={"cj": cj.transport()})
    adapter = registry.supplier("cj", {"base_url": "http://cj/api2.0/v1", "requests_per_second": 1000},
                                {"api_key": DEMO_API_KEY})
    assert isinstance(adapter, CJSupplier) and not adapter.honours_idempotency_key
    assert adapter.place_order(order_request("SO-1", ("SBX-0001-1", 1))).remote_id
    with pytest.raises(ValueError, match="api_key"):
        registry.supplier("cj", {}, {})


def test_csv_po(tmp_path: Path) -> None:
    adapter = ConnectorRegistry().supplier("csv_po", {"folder": str(tmp_path), "code": "acme"}, {})
    assert isinstance(adapter, CsvPurchaseOrderSupplier) and adapter.supplier_code == "acme"
    with pytest.raises(ValueError, match="folder"):
        ConnectorRegistry().supplier("csv_po", {"code": "acme"}, {})


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no supplier connector of kind 'aliexpress'"):
        ConnectorRegistry().supplier("aliexpress", {}, {})


def test_shopify_transport_argument_still_works() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    assert ConnectorRegistry(transport).shopify_transport is transport
    assert ConnectorRegistry(shopify_transport=transport).supplier_transports == {}
