"""`hub attention …` as a user runs it (subprocess): list, offers, act, with the API's checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade
from hub.services.routing import route_pending
from tests import catalogue_builders as cb
from tests.cli.test_cli import hub_cli
from tests.conftest import make_settings
from tests.integration.test_routing import order_with


@pytest.mark.slow
def test_list_offers_and_act(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    database = Database(url)
    upgrade(database.engine)
    settings: Settings = make_settings(tmp_path, database_url=url)
    hub = Hub(settings, database, TokenCipher(settings.fernet_key()))
    store_id, alpha, beta = cb.store(database), cb.supplier(database, "alpha"), cb.supplier(database, "beta")
    cb.listing(database, store_id, "MUG", "v-MUG", cb.offer(database, alpha, "MUG", "6.00", stock=0))
    cb.offer(database, beta, "MUG", "7.00", stock=4)
    order_with(hub, store_id, "1", ("MUG", 1))
    route_pending(hub)
    database.dispose()
    env = {"HUB_DATABASE_URL": url, "HUB_VAR_DIR": str(tmp_path / "var")}

    [item] = json.loads(hub_cli("attention", "list", "--format", "json", env=env, cwd=tmp_path).stdout)
    assert item["kind"] == "out_of_stock" and item["actions"] == "route_to dismiss"
    offers = json.loads(hub_cli("attention", "offers", str(item["id"]), "--format", "json", env=env,
                                cwd=tmp_path).stdout)
    assert [(o["supplier"], o["available"]) for o in offers] == [("beta", 4), ("alpha", 0)]
    refused = hub_cli("attention", "act", str(item["id"]), "dismiss", env=env, cwd=tmp_path)
    assert refused.returncode == 2 and "Say why" in refused.stderr and "Traceback" not in refused.stderr
    done = hub_cli("attention", "act", str(item["id"]), "route_to", "--offer", "beta:MUG", env=env, cwd=tmp_path)
    assert done.returncode == 0 and "Routed to beta as H1-S2-1" in done.stdout and "(closed)" in done.stdout
    assert json.loads(hub_cli("attention", "list", "--format", "json", env=env, cwd=tmp_path).stdout) == []
