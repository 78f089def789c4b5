"""`hub supplier …` and `hub feed …` as a user runs them: exit codes 0 / 1 / 2 / 3 and output."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.cli.test_cli import hub_cli


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var")}


def test_supplier_and_feed_commands(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    assert hub_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    added = hub_cli("supplier", "add", "acme", "--name", "Acme", "--currency", "usd",
                    "--mapping", '{"sku": "Item", "quantity": "On hand"}', env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    duplicate = hub_cli("supplier", "add", "acme", "--name", "Acme", "--currency", "USD", env=env, cwd=tmp_path)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    bad_json = hub_cli("supplier", "add", "b2", "--name", "B", "--currency", "USD", "--mapping", "{x",
                       env=env, cwd=tmp_path)
    assert bad_json.returncode == 2 and "not valid JSON" in bad_json.stderr and "Traceback" not in bad_json.stderr
    assert "acme" in hub_cli("supplier", "list", env=env, cwd=tmp_path).stdout

    key = hub_cli("supplier", "key", "acme", "--label", "nightly", env=env, cwd=tmp_path)
    assert key.returncode == 0
    secret = key.stdout.strip().splitlines()[-1]
    assert secret.startswith("hubk_")
    keys = hub_cli("supplier", "keys", "acme", env=env, cwd=tmp_path)
    assert "nightly" in keys.stdout and secret not in keys.stdout + keys.stderr

    full = tmp_path / "full.csv.gz"
    full.write_bytes(gzip.compress(b"Item,On hand,price\n" + b"".join(b"S%d,2,1.50\n" % i for i in range(10))
                                   + b"S3,1,1.50\n"))
    applied = hub_cli("feed", "import", "acme", str(full), env=env, cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "applied" in applied.stdout and "SKU repeated" in applied.stdout

    short = tmp_path / "short.csv"
    short.write_text("Item,On hand,price\nS1,5,1.50\n")
    held = hub_cli("feed", "import", "acme", str(short), "--format", "csv", env=env, cwd=tmp_path)
    assert held.returncode == 3 and "suspect" in held.stdout and "hub feed confirm 2" in held.stdout
    runs = hub_cli("feed", "runs", "acme", env=env, cwd=tmp_path)
    assert runs.returncode == 0 and "suspect" in runs.stdout
    show = hub_cli("feed", "show", "1", env=env, cwd=tmp_path)
    assert show.returncode == 0 and "SKU repeated" in show.stdout
    confirmed = hub_cli("feed", "confirm", "2", env=env, cwd=tmp_path)
    assert confirmed.returncode == 0 and "applied" in confirmed.stdout
    again = hub_cli("feed", "discard", "2", env=env, cwd=tmp_path)
    assert again.returncode == 1 and "not suspect" in again.stderr

    revoked = hub_cli("supplier", "revoke-key", "1", env=env, cwd=tmp_path)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout


def test_feed_import_usage_errors_exit_2(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    hub_cli("db", "upgrade", env=env, cwd=tmp_path)
    hub_cli("supplier", "add", "acme", "--name", "Acme", "--currency", "USD", env=env, cwd=tmp_path)
    binary = tmp_path / "feed.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    cases = [
        (("feed", "import", "acme", str(tmp_path / "missing.csv")), "cannot read"),
        (("feed", "import", "acme", str(binary)), "failed"),
        (("feed", "import", "acme", str(binary), "--format", "xls"), "'xls' is not one of 'auto', 'csv'"),
    ]
    for args, needle in cases:
        result = hub_cli(*args, env=env, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert needle in result.stderr and "Traceback" not in result.stderr
    unknown = hub_cli("feed", "import", "nope", str(binary), env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown supplier 'nope'" in unknown.stderr
