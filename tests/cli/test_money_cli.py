"""`hub fx import` and `hub report profit` as a user runs them (subprocess)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade
from tests import catalogue_builders as cb
from tests.cli.test_cli import hub_cli
from tests.integration.money_helpers import known_order


def _seeded(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    database = Database(url)
    upgrade(database.engine)
    settings = Settings(_env_file=None, var_dir=tmp_path / "var")  # type: ignore[call-arg]
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()))
    known_order(hub, cb.store(database), currency="EUR")
    database.dispose()
    return {"HUB_DATABASE_URL": url, "HUB_VAR_DIR": str(tmp_path / "var"), "HUB_REPORTING_CURRENCY": "USD"}


def test_fx_import_then_profit_report_in_csv_and_json(tmp_path: Path) -> None:
    env = _seeded(tmp_path)
    rates = tmp_path / "rates.csv"
    rates.write_text("day,base,quote,rate\n2026-11-01,EUR,USD,1.10\n2026-11-01,EUR,USD,abc\n")
    imported = hub_cli("fx", "import", str(rates), env=env, cwd=tmp_path)
    assert imported.returncode == 1 and "1 rates written, 1 rejected" in imported.stdout
    assert "bad rate" in imported.stdout
    report = hub_cli("report", "profit", "--from", "2026-11-01", "--to", "2026-11-07", "--by", "week",
                     "--format", "csv", env=env, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    assert [(r["key"], r["revenue"], r["profit"], r["fx_missing"]) for r in rows] == [
        ("2026-W44", "54.89", "54.89", "False")]  # 11-02..07 (week 45) has no ledger rows
    assert rows[0]["label"] == "2026-W44" and rows[0]["incomplete"] in {"True", "False"}
    assert "estimated" in rows[0]
    as_json = hub_cli("report", "profit", "--from", "2026-11-01", "--to", "2026-11-01", "--format", "json",
                      env=env, cwd=tmp_path)
    assert json.loads(as_json.stdout)["rows"][0]["revenue"] == "54.89"
    table = hub_cli("report", "profit", "--from", "2026-11-01", "--to", "2026-11-01", env=env, cwd=tmp_path)
    assert table.returncode == 0 and "54.89" in table.stdout


def test_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    env = _seeded(tmp_path)
    bad = hub_cli("report", "profit", "--from", "2026-11-01", "--to", "2026-11-02", "--by", "nonsense",
                  env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    [line] = [line for line in bad.stderr.splitlines() if line.strip()]
    assert line.startswith("error: Invalid value for '--by': 'nonsense' is not one of 'day', 'week', 'month'")
    missing = hub_cli("fx", "import", str(tmp_path / "nope.csv"), env=env, cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    headerless = tmp_path / "h.csv"
    headerless.write_text("a,b\n1,2\n")
    wrong = hub_cli("fx", "import", str(headerless), env=env, cwd=tmp_path)
    assert wrong.returncode == 2 and "columns day" in wrong.stderr
