"""Schemathesis against the app's own OpenAPI: no 5xx, every answer as documented.

A seeded SQLite hub (a store, a supplier with offers and a key, an order) so that 200 paths are
exercised, authenticated with the admin token. Bounded: HUB_FUZZ_EXAMPLES examples per operation
(default 15, well under a minute on one core); run with more to fuzz for longer outside the suite.
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

EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "15"))


@pytest.fixture(scope="module")
def fuzz_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp_path: Path = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{tmp_path / 'hub.db'}")
    upgrade(database.engine)
    settings = make_settings(tmp_path)
    hub = Hub(settings=settings, db=database, cipher=TokenCipher(settings.fernet_key()),
              connectors=offline_connectors())
    seed(hub)
    try:
        yield hub
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_hub: Hub) -> FastAPI:
    return create_app(fuzz_hub)


# The document alone needs no database (the app reads its Hub per request); the seeded app of the
# fixture answers the calls. (Loading the schema from a fixture breaks on pytest 9.)
schema = schemathesis.openapi.from_dict(create_app(None).openapi())  # type: ignore[arg-type]
schema.config.update(headers=dict(AUTH))
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)


@schema.parametrize()
def test_openapi_contract(case: schemathesis.Case, fuzz_app: FastAPI) -> None:
    case.call_and_validate(app=fuzz_app)
