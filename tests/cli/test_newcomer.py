"""A newcomer's first hour with the `hub` command, as real subprocesses on one seeded database."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hub.db.engine import Database
from hub.db.migrate import upgrade
from hub.services import orders as order_service
from hub.services import suppliers
from tests.cli.test_cli import hub_cli

ORDERS = 7
LONG = "M-" + "x" * 60  # a reference wider than an 80-column table leaves room for


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    """A database with 7 manual orders (long references) and one supplier."""
    folder = tmp_path_factory.mktemp("newcomer")
    env = {"HUB_DATABASE_URL": f"sqlite:///{folder / 'hub.db'}", "HUB_VAR_DIR": str(folder / "var")}
    db = Database(env["HUB_DATABASE_URL"])
    try:
        upgrade(db.engine)
        rows = "".join(f"{LONG}{n},c{n}@example.com,USD,MUG-1,Mug,1,12.50,,Ann,5 Elm St,Boston,US\n"
                       for n in range(ORDERS))
        text = "reference,email,currency,sku,title,quantity,unit_price,shipping,name,address1,city,country_code\n"
        result = order_service.import_manual_csv(db, io.BytesIO((text + rows).encode()), "USD")
        assert result.intake.created == ORDERS
        suppliers.add_supplier(db, "acme", "Acme", "USD")
    finally:
        db.dispose()
    return env, folder


def test_a_piped_table_is_not_cut(world: tuple[dict[str, str], Path]) -> None:
    env, folder = world
    result = hub_cli("orders", "list", env=env, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert f"{LONG}6" in result.stdout  # whole, though stdout is a pipe


def test_orders_list_says_what_is_left_and_how_to_page(world: tuple[dict[str, str], Path]) -> None:
    env, folder = world
    first = hub_cli("orders", "list", "--limit", "3", env=env, cwd=folder)
    assert first.returncode == 0, first.stderr
    assert "showing 1–3 of 7; next: --offset 3" in first.stdout
    last = hub_cli("orders", "list", "--limit", "3", "--offset", "6", env=env, cwd=folder)
    assert "showing 7–7 of 7" in last.stdout and "next" not in last.stdout
    assert f"{LONG}0" in last.stdout and f"{LONG}6" not in last.stdout  # the oldest, alone


def test_list_commands_speak_csv_and_json(world: tuple[dict[str, str], Path]) -> None:
    env, folder = world
    as_csv = hub_cli("orders", "list", "--format", "csv", env=env, cwd=folder)
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(table) == ORDERS and table[0]["name"] == f"{LONG}6" and table[0]["total"] == "12.50 USD"
    as_json = hub_cli("supplier", "list", "--format", "json", env=env, cwd=folder)
    assert json.loads(as_json.stdout) == [{"code": "acme", "name": "Acme", "kind": "feed", "currency": "USD",
                                           "feed_url": None, "active": True}]
    jobs = hub_cli("jobs", "list", "--format", "json", env=env, cwd=folder)
    assert {"orders.pull", "outbox.dispatch"} <= {row["job"] for row in json.loads(jobs.stdout)}


@pytest.mark.parametrize("args", [
    ("orders", "list", "--status", "nonsense"),
    ("supplier", "add", "beta", "--name", "Beta", "--currency", "USD", "--kind", "nonsense"),
    ("feed", "import", "acme", "feed.csv", "--mode", "nonsense"),
    ("report", "profit", "--from", "2026-01-01", "--to", "2026-01-31", "--by", "nonsense"),
], ids=["order-status", "supplier-kind", "feed-mode", "profit-by"])
def test_an_unknown_enum_value_exits_2_with_the_allowed_values(world: tuple[dict[str, str], Path],
                                                               args: tuple[str, ...]) -> None:
    env, folder = world
    result = hub_cli(*args, env=env, cwd=folder)
    assert result.returncode == 2
    assert "nonsense" in result.stderr and "Traceback" not in result.stderr
    allowed = {"orders": "partially_routed", "supplier": "csv_po", "feed": "delta", "report": "supplier"}
    assert allowed[args[0]] in result.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (("shipments", "import", "nosuch", "ship.csv"), "unknown supplier 'nosuch'"),
    (("feed", "runs", "nosuch"), "unknown supplier 'nosuch'"),
    (("map", "add", "MUG-1", "nosuch:A-1"), "unknown supplier 'nosuch'"),
    (("orders", "list", "--store", "99"), "unknown store 99"),
], ids=["shipments", "feed-runs", "map-add", "orders-store"])
def test_an_unknown_supplier_or_store_is_named(world: tuple[dict[str, str], Path], args: tuple[str, ...],
                                               needle: str) -> None:
    env, folder = world
    (folder / "ship.csv").write_text("reference,tracking_number,carrier\nX-1,T-1,UPS\n")
    result = hub_cli(*args, env=env, cwd=folder)
    assert result.returncode == 2, result.stdout + result.stderr
    assert needle in result.stderr and "reference" not in result.stderr


def test_jobs_run_reports_each_run(world: tuple[dict[str, str], Path]) -> None:
    env, folder = world
    result = hub_cli("jobs", "run", "orders.route", "ledger.orders", env=env, cwd=folder)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("orders.route: ok") and line.endswith(" s)") for line in lines), lines
    assert any(line.startswith("ledger.orders store 1: ok orders=7") for line in lines), lines


def test_jobs_list_shows_what_sandbox_overrides(world: tuple[dict[str, str], Path]) -> None:
    env, folder = world
    result = hub_cli("jobs", "list", "--sandbox", "--format", "json", env=env, cwd=folder)
    assert result.returncode == 0, result.stderr
    jobs = {row["job"]: row for row in json.loads(result.stdout)}
    assert jobs["suppliers.poll"]["every_s"] == 20 and "300" in jobs["suppliers.poll"]["note"]
    assert jobs["sandbox.tick"]["every_s"] == 5


def test_demo_leaves_the_configured_database_alone(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var")}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    demo = hub_cli("demo", "--orders", "1", "--json", env=env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout)["database"] == f"sqlite:///{(tmp_path / 'var' / 'demo.db').as_posix()}"
    stores = hub_cli("store", "list", "--format", "json", env=env, cwd=tmp_path)
    assert json.loads(stores.stdout) == []  # nothing for `hub run` to call forever
    in_demo = hub_cli("store", "list", "--format", "json",
                      env={**env, "HUB_DATABASE_URL": json.loads(demo.stdout)["database"]}, cwd=tmp_path)
    assert [store["name"] for store in json.loads(in_demo.stdout)] == ["Demo Store"]


def test_hub_run_starts_with_a_banner_of_urls_and_token(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var")}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    full_env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")}, **env}
    process = subprocess.Popen([sys.executable, "-m", "hub", "run", "--no-scheduler", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=full_env,
                               cwd=tmp_path)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(process.stderr.readline, "")),  # type: ignore[union-attr]
                              daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            if any("stop with Ctrl+C" in line for line in list(seen)):
                break
            time.sleep(0.1)  # polling the observed output, not waiting for a guessed moment
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
    token = (tmp_path / "var" / "admin.token").read_text().strip()
    banner = "".join(seen)
    assert f"http://127.0.0.1:{port}/" in banner and f"http://127.0.0.1:{port}/docs" in banner
    assert token in banner


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_honours_hub_host_and_hub_port() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "HUB_HOST": "0.0.0.0", "HUB_PORT": "18799"}
    dry = subprocess.run(["make", "-n", "run"], capture_output=True, text=True, cwd=root,
                         env=env, check=False, timeout=60)
    command = next(line for line in dry.stdout.splitlines() if " run --sandbox" in line)
    assert "--port" not in command and "--host" not in command  # so hub reads HUB_HOST / HUB_PORT itself
    given = subprocess.run(["make", "-n", "run", "PORT=18798"], capture_output=True, text=True, cwd=root,
                           check=False, timeout=60)
    assert "--port 18798" in given.stdout
