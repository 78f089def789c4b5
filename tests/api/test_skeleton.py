from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from hub.db.engine import Database
from tests.api.conftest import AUTH
from tests.conftest import make_settings


def test_health_says_the_process_is_alive(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_stays_200_when_the_database_is_down_and_readiness_says_why(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    down = Database("postgresql+psycopg://hub:pw@127.0.0.1:1/hub")
    app = create_app(Hub(settings=settings, db=down, cipher=TokenCipher(settings.fernet_key())))
    client = TestClient(app)
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"].startswith("error:")
    assert "pw" not in response.text


def test_admin_routes_need_the_token(client: TestClient) -> None:
    missing = client.get("/api/v1/status")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    assert "Bearer" in missing.json()["error"]["message"]
    wrong = client.get("/api/v1/status", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    basic = client.get("/api/v1/status", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    ok = client.get("/api/v1/status", headers=AUTH)
    assert ok.status_code == 200
    assert ok.json()["database"] == "sqlite"


def test_every_api_v1_route_is_authenticated(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path, methods in schema["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method in methods:
            url = path.replace("{", "").replace("}", "")
            response = client.request(method.upper(), url)
            assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code}"


def test_errors_have_one_shape(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    response = client.post("/healthz")
    assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"


def test_dashboard_page_and_docs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "the hub" in page.text
    assert client.get("/docs").status_code == 200
