from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from tests.conftest import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def client(sqlite_hub: Hub) -> Iterator[TestClient]:
    # a browser names the page a form came from (hub.api.csrf refuses a post that does not)
    with TestClient(create_app(sqlite_hub), raise_server_exceptions=False,
                    headers={"Origin": "http://testserver"}) as test_client:
        yield test_client
