"""Configuration mistakes as a user makes them: one line naming the variable or option, exit 2, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli.test_cli import hub_cli


def _one_line(output: str) -> str:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize(("env", "needle"), [
    ({"HUB_PORT": "abc"}, "HUB_PORT"),
    ({"HUB_LOG_LEVEL": "verbose"}, "HUB_LOG_LEVEL"),
    ({"HUB_SECRET_KEY": "not-a-fernet-key-but-a-secret"}, "HUB_SECRET_KEY"),
    ({"HUB_DATABASE_URL": "mysql://user@127.0.0.1/hub"}, "HUB_DATABASE_URL"),
    ({"HUB_DATABASE_URL": "postgresql+asyncpg://user@127.0.0.1/hub"}, "HUB_DATABASE_URL"),
    ({"HUB_DATABASE_URL": "nosuchdb://x"}, "HUB_DATABASE_URL"),
    ({"HUB_FEED_TRUNCATION_SHARE": "2"}, "HUB_FEED_TRUNCATION_SHARE"),
], ids=["port", "log-level", "secret-key", "mysql", "asyncpg", "unknown-dialect", "range"])
def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    result = hub_cli("store", "list", env={"HUB_VAR_DIR": str(tmp_path / "var"), **env}, cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line(result.stdout + result.stderr)
    assert needle in line
    assert "not-a-fernet-key" not in line  # a secret's value is never echoed


def test_an_unwritable_var_dir_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args in (("store", "list"), ("db", "upgrade")):
        result = hub_cli(*args, env={"HUB_VAR_DIR": str(blocker / "var")}, cwd=tmp_path)
        assert result.returncode == 2, args
        assert "HUB_VAR_DIR" in _one_line(result.stdout + result.stderr)


def test_an_unknown_revision_is_one_line_naming_it(tmp_path: Path) -> None:
    result = hub_cli("db", "upgrade", "nosuchrev", env={"HUB_VAR_DIR": str(tmp_path / "var")}, cwd=tmp_path)
    assert result.returncode == 2
    assert "nosuchrev" in _one_line(result.stdout + result.stderr)


def test_a_port_in_use_is_one_line_and_exit_2_before_listening(tmp_path: Path) -> None:
    env = {"HUB_VAR_DIR": str(tmp_path / "var")}
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = hub_cli("run", "--no-scheduler", env={**env, "HUB_PORT": str(port)}, cwd=tmp_path)
        by_option = hub_cli("run", "--no-scheduler", "--port", str(port), env=env, cwd=tmp_path)
    assert result.returncode == 2
    line = _one_line(result.stdout + result.stderr)
    assert "HUB_PORT" in line and str(port) in line and "in use" in line
    assert by_option.returncode == 2 and "--port" in _one_line(by_option.stdout + by_option.stderr)
