"""`hub feed import` of a gzip bomb and `hub feed confirm` during an import, as a user runs them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.test_cli import hub_cli
from tests.feed_helpers import MIB, gzip_bomb


def test_gzip_bomb_is_one_line_and_exit_2_then_the_next_import_runs(tmp_path: Path) -> None:
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var"),
           "HUB_FEED_MAX_BYTES": str(MIB)}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    assert hub_cli("supplier", "add", "acme", "--name", "Acme", "--currency", "USD", env=env,
                   cwd=tmp_path).returncode == 0
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip_bomb(256 * MIB))
    result = hub_cli("feed", "import", "acme", str(bomb), env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "larger than the limit" in result.stderr and "Traceback" not in result.stderr

    good = tmp_path / "good.csv"
    good.write_text("sku,qty,price\nA1,3,10.00\n")
    assert hub_cli("feed", "import", "acme", str(good), env=env, cwd=tmp_path).returncode == 0

    # A suspect run, then an import "running" (its run row, as a running import leaves it): confirm is refused.
    short = tmp_path / "short.csv"
    short.write_text("sku,qty,price\n")
    held = hub_cli("feed", "import", "acme", str(short), env=env, cwd=tmp_path)
    assert held.returncode == 3, held.stdout + held.stderr
    with sqlite3.connect(tmp_path / "hub.db") as connection:
        connection.execute("UPDATE feed_runs SET status = 'running' WHERE id = 2")
    confirm = hub_cli("feed", "confirm", "3", env=env, cwd=tmp_path)
    assert confirm.returncode == 1 and "still running" in confirm.stderr, confirm.stdout + confirm.stderr
