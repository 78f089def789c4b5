"""The sandbox supplier over HTTP: as an ASGI app, and as its own process on a loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from connectors.suppliers.sandbox import SandboxSupplier, SandboxSupplierServer, SupplierSandboxConfig, create_app
from tests.connectors.suppliers.helpers import no_wait, order_request
from tests.live import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_asgi_app_mounted_under_a_prefix_serves_the_same_core() -> None:
    core = SandboxSupplierServer(SupplierSandboxConfig(ship_after=-1))
    app = Starlette(routes=[Mount("/sandbox/suppliers/a", app=create_app(core))])
    with TestClient(app) as client:
        key = {"Idempotency-Key": "k-1"}
        body = {"reference": "R-1", "lines": [{"sku": "SBX-0001-1", "quantity": 1}], "currency": "USD"}
        assert client.post("/sandbox/suppliers/a/orders", json=body, headers=key).status_code == 201
        assert client.post("/sandbox/suppliers/a/orders", json=body, headers=key).status_code == 200
        assert client.get("/sandbox/suppliers/a/orders/R-1").json()["state"] == "accepted"
        assert client.get("/sandbox/suppliers/a/orders/nope").status_code == 404
        stats = client.get("/sandbox/suppliers/a/_stats").json()
    assert stats["orders_created"] == 1 and stats["order_requests"] == 2
    assert core.stats()["orders_per_reference"] == {"R-1": 1}


def test_runnable_server_takes_orders_over_real_http() -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "connectors.suppliers.sandbox", "--host", "127.0.0.1", "--port", str(port),
         "--ship-after", "-1"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{base_url}/_stats", timeout=0.5)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server exited"
                assert time.monotonic() < deadline, "sandbox supplier did not start"
                time.sleep(0.05)
        supplier = SandboxSupplier(base_url, retry=no_wait())
        status = supplier.place_order(order_request("SO-HTTP", ("SBX-0001-1", 1)))
        again = supplier.place_order(order_request("SO-HTTP", ("SBX-0001-1", 1)))
        assert again.remote_id == status.remote_id
        assert supplier.cancel_order("SO-HTTP") is True
        supplier.close()
        stats = httpx.get(f"{base_url}/_stats").json()
        assert stats["order_requests"] == 2
        assert stats["orders_per_reference"] == {"SO-HTTP": 1}
        assert stats["cancelled"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_command_line_fault_rates() -> None:
    from connectors.suppliers.sandbox.__main__ import config_from_args, parse_args

    config = config_from_args(parse_args(["--fail-rate", "timeout=0.1", "--fail-rate", "reject=0.02",
                                          "--ship-after", "3", "--timeout-seconds", "0.2"]))
    assert config.faults.rates == {"timeout": 0.1, "reject": 0.02}
    assert config.ship_after == 3 and config.faults.timeout_seconds == 0.2
    spread = config_from_args(parse_args(["--fail-rate", "0.09"])).faults.rates
    assert spread == {"5xx": 0.03, "timeout": 0.03, "429": 0.03}
