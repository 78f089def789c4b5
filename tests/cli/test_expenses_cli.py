"""`hub expenses …` and `hub report summary` as a user runs them (subprocess)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hub.db.engine import Database
from hub.db.migrate import upgrade
from tests import catalogue_builders as cb
from tests.cli.test_cli import hub_cli

CSV = ("date,platform,campaign,amount,currency,store\n"
       "2026-11-01,facebook,BF,10.00,USD,\n"
       "2026-11-02,google,Search,4.50,USD,Shop\n"
       "2026-11-03,google,Search,x,USD,\n"
       "2026-11-04,google,Search,1,USD,Nope\n")


def _env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    database = Database(url)
    upgrade(database.engine)
    cb.store(database)
    database.dispose()
    return {"HUB_DATABASE_URL": url, "HUB_VAR_DIR": str(tmp_path / "var"), "HUB_REPORTING_CURRENCY": "USD"}


def test_import_twice_add_list_delete_and_summary(tmp_path: Path) -> None:
    env = _env(tmp_path)
    spend = tmp_path / "spend.csv"
    spend.write_text(CSV)
    for _ in range(2):  # the second import updates the same rows
        imported = hub_cli("expenses", "import", str(spend), env=env, cwd=tmp_path)
        assert imported.returncode == 1 and "4 rows: 2 written, 2 rejected" in imported.stdout
        assert "Traceback" not in imported.stderr
    assert "│ 4    │ amount │" in imported.stdout and "no store named 'Nope'" in imported.stdout
    added = hub_cli("expenses", "add", "recurring", "--amount", "30", "--currency", "USD", "--date", "2026-11-01",
                    "--name", "Shopify plan", env=env, cwd=tmp_path)
    assert added.returncode == 0 and "recurring 30.00 USD from 2026-11-01" in added.stdout, added.stderr
    listed = json.loads(hub_cli("expenses", "list", "--format", "json", env=env, cwd=tmp_path).stdout)
    assert sorted((r["kind"], r["day"], r["amount"], r["store_name"]) for r in listed) == [
        ("ad_spend", "2026-11-01", "10.00", None), ("ad_spend", "2026-11-02", "4.50", "Shop"),
        ("recurring", "2026-11-01", "30.00", None)]
    as_csv = hub_cli("expenses", "list", "--kind", "ad-spend", "--format", "csv", env=env, cwd=tmp_path).stdout
    assert [r["platform"] for r in csv.DictReader(io.StringIO(as_csv))] == ["google", "facebook"]

    summary = hub_cli("report", "summary", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json",
                      env=env, cwd=tmp_path)
    body = json.loads(summary.stdout)
    assert (body["current"]["ad_spend"], body["current"]["recurring_costs"], body["current"]["net_profit"]) == (
        "14.50", "30.00", "-44.50")
    assert body["previous"]["start"] == "2026-10-02" and body["change"]["other_costs"]["absolute"] == "44.50"
    table = hub_cli("report", "summary", "--from", "2026-11-01", "--to", "2026-11-30", env=env, cwd=tmp_path)
    assert table.returncode == 0 and "net_profit" in table.stdout and "-44.50" in table.stdout

    plan = next(r for r in listed if r["kind"] == "recurring")
    assert hub_cli("expenses", "delete", str(plan["id"]), env=env, cwd=tmp_path).returncode == 0
    again = hub_cli("expenses", "delete", str(plan["id"]), env=env, cwd=tmp_path)
    assert again.returncode == 1 and "not found" in again.stderr


def test_mistakes_are_one_line_and_exit_2(tmp_path: Path) -> None:
    env = _env(tmp_path)
    for args, message in [
        (("expenses", "add", "one-off", "--amount", "1.234", "--currency", "USD", "--date", "2026-11-01",
          "--name", "x"), "--amount: has more than 2 decimals for USD"),
        (("expenses", "add", "one-off", "--amount", "1", "--currency", "USD", "--date", "2026-11-01"),
         "--name: is required"),
        (("expenses", "add", "monthly", "--amount", "1", "--currency", "USD", "--date", "2026-11-01"),
         "Invalid value for 'kind': 'monthly' is not one of 'ad-spend', 'one-off', 'recurring'"),
        (("expenses", "import", str(tmp_path / "nope.csv")), "no such file"),
        (("report", "summary", "--from", "2026-11-02", "--to", "2026-11-01"), "to must not be before from"),
    ]:
        result = hub_cli(*args, env=env, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        [line] = [line for line in result.stderr.splitlines() if line.strip()]
        assert line.startswith("error:") and message in line, line
