"""The `hub` command as a user runs it: a real subprocess, exit codes and what it prints."""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

_LAUNCHER = Path(__file__).with_name("forked_cli.py")
_launcher: subprocess.Popen[str] | None = None
_launcher_lock = threading.Lock()


def _forking_launcher() -> subprocess.Popen[str]:
    """This test process's launcher (tests/cli/forked_cli.py): the CLI imported once, forked per run."""
    global _launcher
    if _launcher is None or _launcher.poll() is not None:
        _launcher = subprocess.Popen([sys.executable, str(_LAUNCHER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
        atexit.register(_launcher.kill)
    return _launcher


def hub_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`hub ARGS` in a process of its own, as `python -m hub ARGS` runs (exit code, stdout, stderr), forked
    from a launcher that imported the CLI once; the timeout is a safety net for a hung run."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    full_env.update(env or {})
    with _launcher_lock, tempfile.TemporaryDirectory() as outputs:
        out, err = Path(outputs) / "stdout", Path(outputs) / "stderr"
        launcher = _forking_launcher()
        assert launcher.stdin is not None and launcher.stdout is not None
        request = {"argv": list(args), "env": full_env, "cwd": str(cwd or Path.cwd()), "out": str(out),
                   "err": str(err)}
        launcher.stdin.write(json.dumps(request) + "\n")
        launcher.stdin.flush()
        pid = json.loads(launcher.stdout.readline())["pid"]
        ready, _, _ = select.select([launcher.stdout], [], [], timeout)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            launcher.stdout.readline()
            raise subprocess.TimeoutExpired(["hub", *args], timeout)
        status = json.loads(launcher.stdout.readline())["status"]
        return subprocess.CompletedProcess(["hub", *args], status, out.read_text(errors="replace"),
                                           err.read_text(errors="replace"))


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
