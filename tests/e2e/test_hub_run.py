"""`hub db upgrade` then `hub run --sandbox`, as `make run` does: /healthz and /readyz answer 200, and the
sandbox shop's orders arrive, are routed and placed with the sandbox suppliers on their own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_hub_run_serves_health_and_prints_the_generated_admin_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    upgrade = subprocess.run([sys.executable, "-m", "hub", "db", "upgrade"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=60, check=False)
    assert upgrade.returncode == 0, upgrade.stderr
    port = _free_port()
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "hub", "run", "--sandbox", "--port", str(port)], cwd=tmp_path,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline, response = time.monotonic() + 90, None  # generous: a loaded machine starts slowly
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None, (tmp_path / "run.log").read_text()
        assert response.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json() == {"status": "ok", "database": "ok"}
        token = (tmp_path / "var" / "admin.token").read_text().strip()
        auth = {"Authorization": f"Bearer {token}"}
        status = httpx.get(f"http://127.0.0.1:{port}/api/v1/status", headers=auth, timeout=5)
        assert status.status_code == 200
        routed: list[dict[str, object]] = []
        while time.monotonic() < deadline + 30 and not routed:
            orders = httpx.get(f"http://127.0.0.1:{port}/api/v1/orders?status=routed", headers=auth, timeout=5)
            routed = orders.json()["orders"]
            time.sleep(0.5)
        assert routed, (tmp_path / "run.log").read_text()[-3000:]
        detail = httpx.get(f"http://127.0.0.1:{port}/api/v1/orders/{routed[0]['id']}", headers=auth, timeout=5)
        kinds = [event["kind"] for event in detail.json()["timeline"]]
        assert kinds[:2] == ["received", "routed"]
    finally:
        process.terminate()
        process.wait(15)
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert f"admin token        {token}   (stored in var/admin.token)" in output  # the start-up banner
    assert output.count(token) == 1  # printed once to the operator, never logged
