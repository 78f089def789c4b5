"""`hub run --sandbox` with HUB_SANDBOX_FAULTS: the mounted sandboxes answer through the fault
layer over real HTTP (control paths exempt); a bad spec is refused when the settings load."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from hub.bootstrap import Hub
from hub.sandbox_mode import SUPPLIER_MOUNT, SandboxRuntime
from tests.conftest import make_settings
from tests.live import live_server

pytestmark = pytest.mark.integration


def _order(runtime: SandboxRuntime, code: str) -> dict[str, object]:
    sku = next(iter(runtime.suppliers[code].books.catalogue))  # one the supplier carries
    return {"reference": "R-1", "lines": [{"sku": sku, "quantity": 1}], "currency": "USD"}


def test_mounted_sandboxes_fault_as_configured(sqlite_hub: Hub) -> None:
    sqlite_hub.settings.sandbox_faults = "lost=1.0"
    app = FastAPI()
    runtime = SandboxRuntime(sqlite_hub, "http://127.0.0.1:9")
    runtime.mount(app)
    east = runtime.suppliers["sandbox-east"]
    with live_server(app) as url, httpx.Client(base_url=f"{url}{SUPPLIER_MOUNT}/sandbox-east", timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/orders", json=_order(runtime, "sandbox-east"), headers={"Idempotency-Key": "k-1"})
        assert east.stats()["orders_created"] == 1, "the work was done, the answer lost"
        assert client.get("/_stats").status_code == 200, "control paths are not faulted"
    assert runtime.faults["sandbox-east"].injected()["lost"] == 1


def test_without_the_setting_nothing_is_faulted(sqlite_hub: Hub) -> None:
    app = FastAPI()
    runtime = SandboxRuntime(sqlite_hub, "http://127.0.0.1:9")
    runtime.mount(app)
    with live_server(app) as url, httpx.Client(base_url=f"{url}{SUPPLIER_MOUNT}/sandbox-west", timeout=5) as client:
        order = _order(runtime, "sandbox-west")
        assert client.post("/orders", json=order, headers={"Idempotency-Key": "k-1"}).status_code == 201


@pytest.mark.parametrize("spec", ["lost=2", "nosuch=0.1", "often"])
def test_a_bad_spec_names_the_setting(tmp_path: Path, spec: str) -> None:
    with pytest.raises(ValidationError, match="sandbox_faults"):
        make_settings(tmp_path, sandbox_faults=spec)
