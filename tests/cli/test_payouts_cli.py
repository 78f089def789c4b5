"""`hub report payouts` as a user runs it (subprocess): the difference in words, JSON equal to the API's."""

from __future__ import annotations

import json
from pathlib import Path

from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade
from hub.domain.money import Money
from hub.domain.storefront import BalanceTransaction
from hub.domain.storefront import Payout as RemotePayout
from hub.services import payments
from tests import catalogue_builders as cb
from tests.cli.test_cli import hub_cli
from tests.factories import T0
from tests.integration.money_helpers import D, known_order


def _seeded(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    database = Database(url)
    upgrade(database.engine)
    settings = Settings(_env_file=None, var_dir=tmp_path / "var")  # type: ignore[call-arg]
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()))
    store = cb.store(database)
    known_order(hub, store, "1")
    known_order(hub, store, "2")  # paid, in no payout
    usd = "USD"
    with database.transaction() as session:
        payments.store_payout(session, store, RemotePayout("po-9", "paid", T0, Money(D("45.00"), usd)), [
            BalanceTransaction("b1", "charge", Money(D("53.00"), usd), Money(D("0"), usd), Money(D("53.00"), usd),
                               T0, order_id="1"),
            BalanceTransaction("b2", "refund", Money(D("-8.00"), usd), Money(D("0"), usd), Money(D("-8.00"), usd),
                               T0, order_id="1")])
    database.dispose()
    return {"HUB_DATABASE_URL": url, "HUB_VAR_DIR": str(tmp_path / "var")}


def test_report_payouts_explains_the_difference_and_lists_orders_not_paid_out(tmp_path: Path) -> None:
    env = _seeded(tmp_path)
    table = hub_cli("report", "payouts", env=env, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert "po-9" in table.stdout and "1 refund not in the hub" in table.stdout
    assert "paid, not in any payout yet" in table.stdout and "#2" in table.stdout
    as_json = json.loads(hub_cli("report", "payouts", "--format", "json", env=env, cwd=tmp_path).stdout)
    [payout] = as_json["payouts"]
    assert (payout["expected"], payout["received"], payout["difference"]) == ("53.00", "45.00", "-8.00")
    assert [o["name"] for o in as_json["expected_not_received"]] == ["#2"]
    bad = hub_cli("report", "payouts", "--wait-days", "-1", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "--wait-days" in bad.stderr


def test_report_anomalies_names_the_order_in_words(tmp_path: Path) -> None:
    env = _seeded(tmp_path)
    report = hub_cli("report", "anomalies", env=env, cwd=tmp_path)
    assert report.returncode == 1, report.stderr  # there are anomalies: two paid orders never sent
    assert "order #1" in report.stdout and "order #2" in report.stdout
    assert "is paid (50.00 USD) but was never sent to a supplier" in " ".join(report.stdout.split())
