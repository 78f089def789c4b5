"""Schemathesis against the app's own OpenAPI: no 5xx, every answer as documented.

A seeded SQLite hub (a store, a supplier with offers and a key, an order) so that 200 paths are
exercised, authenticated with the admin token (the supplier key on the supplier push routes).
Bounded: HUB_FUZZ_EXAMPLES examples per operation (default 10, well under a minute on one core);
set it higher to fuzz for longer outside the suite, or serve `python -m tests.api.fuzz_support PORT`
and point `st run` at it.

Every check runs except `positive_data_acceptance`: the schema states the form of a request, the
services its business rules (an unknown currency or country, a discount over the subtotal, a cursor
the hub never issued, a total past what a money column holds), which are 422/400 by design.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.engine import Database
from hub.db.migrate import upgrade
from tests.api.conftest import AUTH
from tests.api.fuzz_support import offline_connectors, seed
from tests.conftest import make_settings

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "10"))
SUPPLIER_KEY_ROUTES = ("/api/v1/suppliers/{code}/feed", "/api/v1/suppliers/{code}/shipments")


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp_path: Path = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(database.engine)
    settings = make_settings(tmp_path)
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()),
              connectors=offline_connectors())
    hub.seeded = seed(hub)  # type: ignore[attr-defined]
    try:
        yield hub
    finally:
        database.dispose()


# The app reads its Hub per request (app.state.hub): the schema is loaded at import, with no
# database, and the fixture gives the app its seeded Hub. (A schema from a fixture breaks on pytest 9.)
APP = create_app(None)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def fuzz_app(fuzz_hub: Hub) -> Iterator[FastAPI]:
    APP.state.hub = fuzz_hub
    yield APP
    APP.state.hub = None


schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.update(headers=dict(AUTH))
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
schema.config.checks.update(included_check_names=["all"], excluded_check_names=["positive_data_acceptance"])


@schema.parametrize()
def test_openapi_contract(case: schemathesis.Case, fuzz_app: FastAPI, fuzz_hub: Hub) -> None:
    headers = None
    if case.method == "POST" and case.path in SUPPLIER_KEY_ROUTES:
        headers = {"Authorization": f"Bearer {fuzz_hub.seeded['supplier_key']}"}  # type: ignore[attr-defined]
    case.call_and_validate(app=fuzz_app, headers=headers)
