"""The `hub` command as a user runs it: a real subprocess, exit codes and what it prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def hub_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`hub ARGS` in a subprocess; the timeout is a safety net for a hung run, generous for a loaded machine."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "hub", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout, check=False)


def test_unreachable_database_is_one_line_without_password_and_exit_2(tmp_path: Path) -> None:
    result = hub_cli("db", "upgrade", env={"HUB_DATABASE_URL": "postgresql+psycopg://u:secret@127.0.0.1:1/x"},
                     cwd=tmp_path)
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "secret" not in output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "127.0.0.1:1" in lines[0]


def test_upgrade_then_current_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'sub' / 'hub.db'}"}
    before = hub_cli("db", "current", env=env, cwd=tmp_path)
    assert before.returncode == 0 and "empty" in before.stdout
    upgraded = hub_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = hub_cli("db", "current", env=env, cwd=tmp_path)
    assert current.returncode == 0 and "up to date" in current.stdout


@pytest.mark.parametrize(("args", "needle"), [(("nosuch",), "No such command"),
                                              (("db", "upgrade", "--bogus"), "No such option")])
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    result = hub_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_version(tmp_path: Path) -> None:
    result = hub_cli("version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("hub ")


def test_an_unreachable_store_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var")}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    added = hub_cli("store", "add", "shopify", "--shop", "nowhere.myshopify.com", "--token", "t", "--no-verify",
                    env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    from hub.db.engine import Database
    from tests import catalogue_builders as cb

    db = Database(env["HUB_DATABASE_URL"])
    supplier = cb.supplier(db, "acme")
    listing_id = cb.listing(db, 1, "MUG", "1", cb.offer(db, supplier, "A-MUG", "5.00"))
    from sqlalchemy import update

    from hub.db.models import Listing

    with db.transaction() as session:  # an item the store stocks: the push has something to send
        session.execute(update(Listing).where(Listing.id == listing_id).values(inventory_item_id="77"))
    db.dispose()
    result = hub_cli("sync", "push", env={**env, "HUB_SHOPIFY_API_VERSION": "2026-10"}, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "nowhere.myshopify.com" in result.stderr
