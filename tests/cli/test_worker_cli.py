"""`hub worker` and `hub scheduler` mistakes: one line naming what to fix, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import hub_cli


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize("command", [["worker"], ["scheduler"]])
def test_without_a_broker_the_command_says_what_to_set(tmp_path: Path, command: list[str]) -> None:
    result = hub_cli(*command, cwd=tmp_path, env={"HUB_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode == 2
    assert "HUB_BROKER_URL is not set" in _one_line(result.stderr)


def test_an_unknown_queue_is_named(tmp_path: Path) -> None:
    result = hub_cli("worker", "--queues", "routing,shipping", cwd=tmp_path,
                     env={"HUB_BROKER_URL": "redis://127.0.0.1:1/0", "HUB_VAR_DIR": str(tmp_path / "var")})
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "--queues" in line and "'shipping'" in line and "placement" in line


def test_a_broker_url_of_another_kind_is_refused_without_showing_it(tmp_path: Path) -> None:
    result = hub_cli("worker", cwd=tmp_path, env={"HUB_BROKER_URL": "http://user:hunter2@host/"})
    assert result.returncode == 2
    line = _one_line(result.stderr)
    assert "HUB_BROKER_URL" in line and "redis://" in line and "hunter2" not in line
