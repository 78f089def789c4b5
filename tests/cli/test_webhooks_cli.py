"""`hub webhooks list|retry`: a stuck delivery is seen with its reason and retried from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import update

from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade
from hub.db.models import WebhookDelivery
from hub.services import webhooks as webhook_service
from tests.cli.test_cli import hub_cli
from tests.conftest import make_settings
from tests.webhook_payloads import HOSTILE, body_of, connect_store, signed, valid_order


def _prepared(tmp_path: Path) -> tuple[dict[str, str], int, int]:
    """A database with one poisoned delivery (in error) and one good one given up earlier."""
    env = {"HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", "HUB_VAR_DIR": str(tmp_path / "var")}
    settings = make_settings(tmp_path)
    database = Database(env["HUB_DATABASE_URL"])
    upgrade(database.engine)  # in-process: each `hub` subprocess costs a second or more
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()))
    try:
        connect_store(hub)
        ids = []
        for name, body in (("bad", body_of(HOSTILE[0], 1)), ("later", json.dumps(valid_order(2)).encode())):
            headers = {k.lower(): v for k, v in signed(body, name).items()}
            receipt = webhook_service.receive(hub, "shopify", headers, body)
            assert receipt.delivery_id is not None
            ids.append(receipt.delivery_id)
        webhook_service.process(hub, ids[0])
        with database.transaction() as session:  # as if the database had been out of reach five times
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == ids[1])
                            .values(status="error", attempts=5, error="gave up after 5 attempts: timeout"))
    finally:
        database.dispose()
    return env, ids[0], ids[1]


def test_list_shows_stuck_deliveries_with_reason_and_retry_processes_them(tmp_path: Path) -> None:
    env, bad, later = _prepared(tmp_path)
    listing = hub_cli("webhooks", "list", "--status", "error", env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "line_items[0].quantity" in listing.stdout and "gave up after 5" in listing.stdout
    retried = hub_cli("webhooks", "retry", str(later), env=env, cwd=tmp_path)
    assert retried.returncode == 0, retried.stderr
    assert f"delivery {later}: processed" in retried.stdout
    still_bad = hub_cli("webhooks", "retry", str(bad), env=env, cwd=tmp_path)
    assert still_bad.returncode == 1 and "quantity" in still_bad.stdout

    missing = hub_cli("webhooks", "retry", "42", env=env, cwd=tmp_path)
    assert missing.returncode == 1 and "no webhook delivery 42" in missing.stderr
    nonsense = hub_cli("webhooks", "list", "--status", "nonsense", env=env, cwd=tmp_path)
    assert nonsense.returncode == 2 and "unknown status 'nonsense'" in nonsense.stderr
    for output in (still_bad, missing, nonsense):
        assert "Traceback" not in output.stdout + output.stderr
