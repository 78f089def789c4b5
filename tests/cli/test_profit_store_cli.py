"""`hub report profit --store ID`: the CLI's side of the profit page's store filter and CSV."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import hub_cli
from tests.cli.test_money_cli import _seeded


def test_store_filter_keeps_one_stores_rows_and_a_bad_id_is_one_line(tmp_path: Path) -> None:
    env = _seeded(tmp_path)
    args = ("report", "profit", "--from", "2026-11-01", "--to", "2026-11-01", "--by", "store", "--format", "csv")
    every = hub_cli(*args, env=env, cwd=tmp_path)
    mine = hub_cli(*args, "--store", "1", env=env, cwd=tmp_path)
    other = hub_cli(*args, "--store", "2", env=env, cwd=tmp_path)
    assert every.returncode == mine.returncode == other.returncode == 0, every.stderr
    assert mine.stdout == every.stdout and mine.stdout.count("\n") == 2  # header and store 1
    assert other.stdout.count("\n") == 1  # only the header: store 2 sold nothing
    bad = hub_cli(*args, "--store", "0", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--store" in bad.stderr
