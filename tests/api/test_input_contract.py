"""The API's input contract: what the database cannot hold is a 422 naming the field, never a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.crypto import TokenCipher
from tests.api.conftest import AUTH
from tests.api.fuzz_support import seed
from tests.conftest import ADMIN_TOKEN, SAME_SITE, make_settings


def _order(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": "PHONE-1", "currency": "USD",
        "shipping_address": {"name": "Ann", "address1": "5 Elm St", "city": "Boston", "country_code": "US"},
        "lines": [{"sku": "MUG-1", "quantity": 2, "unit_price": "12.50"}], "shipping": "5.00",
    }
    body.update(changes)
    return body


def _message(response: Any) -> str:
    return str(response.json()["error"]["message"])


@pytest.fixture
def any_client(hub: Hub) -> Iterator[TestClient]:
    """A client of a seeded hub on SQLite and PostgreSQL."""
    seed(hub)
    with TestClient(create_app(hub), headers=SAME_SITE, raise_server_exceptions=False) as client:
        yield client


def _id_parameters(client: TestClient) -> Iterator[tuple[str, str, str, str]]:
    """(method, path template, parameter name, where) of every integer id parameter in the OpenAPI."""
    document = client.get("/openapi.json").json()
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schemas = parameter["schema"].get("anyOf", [parameter["schema"]])
                if any(s.get("type") == "integer" and s.get("maximum") == 2**63 - 1 for s in schemas):
                    yield method, template, parameter["name"], parameter["in"]


def test_every_id_parameter_is_64_bit(client: TestClient) -> None:
    seen = 0
    for method, template, name, where in _id_parameters(client):
        for bad in (2**63, 2**70, 0, -1):
            path = template.replace("{code}", "acme").replace("{batch_id}", "b1")
            params: dict[str, Any] = {}
            if where == "path":
                path = path.replace("{" + name + "}", str(bad))
            else:
                params[name] = bad
            path = path.replace("{order_id}", "1").replace("{store_id}", "1").replace("{run_id}", "1")
            response = client.request(method.upper(), path, params=params, headers=AUTH)
            assert response.status_code == 422, (method, path, params, response.text)
            assert _message(response).startswith(f"{name}: input should be"), response.text
        seen += 1
    assert seen >= 10  # every {id} path parameter and the store filters


def test_nul_bytes_and_lone_surrogates_are_422_on_both_backends(any_client: TestClient) -> None:
    client = any_client
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "/api/v1/orders", {"params": {"q": "Ann\x00"}}),
        ("GET", "/api/v1/mappings", {"params": {"store_sku": "\x00"}}),
        ("GET", "/api/v1/attention", {"params": {"kind": "x\x00"}}),
        ("GET", "/api/v1/orders", {"params": {"undeclared": "\x00"}}),
        ("POST", "/api/v1/orders", {"json": _order(email="ann\x00@example.com")}),
        ("POST", "/api/v1/orders", {"json": _order(reference="R\x00")}),
        ("POST", "/api/v1/mappings", {"json": {"store_sku": "MUG\x00", "supplier_offer": "acme:MUG-1"}}),
        ("POST", "/api/v1/suppliers", {"json": {"code": "nul", "name": "Nul", "currency": "USD",
                                                "mapping": {"sku": "It\x00em"}}}),
        ("POST", "/api/v1/suppliers/acme/keys", {"json": {"label": "a\x00"}}),
        ("POST", "/api/v1/suppliers", {"content": b'{"code": "sur", "name": "\\ud800", "currency": "USD"}',
                                       "headers": {"Content-Type": "application/json"}}),
    ]
    for method, path, kwargs in cases:
        headers = {**AUTH, **kwargs.pop("headers", {})}
        response = client.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 422, (method, path, response.status_code, response.text)
        message = _message(response)
        assert "NUL byte" in message or "Unicode" in message, message
    # Nothing half-written: the supplier and the order were refused whole.
    assert [s["code"] for s in client.get("/api/v1/suppliers", headers=AUTH).json()] == ["acme"]
    assert [o["name"] for o in client.get("/api/v1/orders", headers=AUTH).json()["orders"]] == ["FUZZ-1"]


@pytest.mark.parametrize("changes, needle", [
    ({"shipping": "1e30"}, "shipping: must be at most"),
    ({"shipping": "ten"}, "shipping: not an amount"),
    ({"shipping": "922337203685477.5808"}, "shipping: must be at most 99999999999999.9999"),
    ({"discount": "-1"}, "discount: must not be negative"),
    ({"shipping": "1.00001"}, "shipping: has more than 4 decimals"),
    ({"shipping": 12.5}, 'shipping: must be a decimal string such as "12.50"'),
    ({"shipping": "NaN"}, "shipping: not a finite amount"),
    ({"lines": [{"sku": "A", "quantity": 2**31, "unit_price": "1"}]}, "lines[0].quantity: input should be less"),
    ({"lines": [{"sku": "A", "quantity": 0, "unit_price": "1"}]}, "lines[0].quantity: input should be greater"),
    ({"lines": [{"sku": "A", "quantity": 2**31 - 1, "unit_price": "99999999999999"}]}, "order's total is above"),
    ({"lines": [{"sku": "A", "unit_price": "1"}]}, "lines[0].quantity: is required"),
    ({"colour": "red"}, "colour: is not a known field"),
])
def test_amounts_and_quantities_have_ranges_and_readable_messages(client: TestClient, changes: dict[str, Any],
                                                                  needle: str) -> None:
    response = client.post("/api/v1/orders", json=_order(**changes), headers=AUTH)
    assert response.status_code == 422, response.text
    assert needle in _message(response)


def test_a_token_that_cannot_be_sent_in_a_header_is_422(client: TestClient) -> None:
    body = {"shop": "shop.myshopify.com", "token": "\u0080abc", "verify": True}
    response = client.post("/api/v1/stores", json=body, headers=AUTH)
    assert response.status_code == 422 and "token: must be 1 to 1000 printable ASCII" in _message(response)


def test_largest_amount_is_stored_exactly(client: TestClient) -> None:
    body = _order(lines=[{"sku": "A", "quantity": 1, "unit_price": "99999999999999.99"}], shipping="0.01")
    response = client.post("/api/v1/orders", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["total_price"] == "100000000000000.00"


def test_body_is_bounded_in_size_and_depth(sqlite_hub: Hub, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, api_max_body_bytes=4096)
    hub = Hub(settings=settings, db=sqlite_hub.db, cipher=TokenCipher(settings.fernet_key()))
    client = TestClient(create_app(hub), headers=SAME_SITE, raise_server_exceptions=False)
    json_headers = {**AUTH, "Content-Type": "application/json"}
    big = client.post("/api/v1/orders", content=b" " * 5000 + b"{}", headers=json_headers)
    assert big.status_code == 413 and "4096 bytes" in _message(big)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield from (b" " * 1000 for _ in range(10))

    streamed = client.post("/api/v1/orders", content=chunks(), headers=json_headers)
    assert streamed.status_code == 413
    deep = client.post("/api/v1/orders", content=b"[" * 100_000 + b"]" * 100_000, headers=json_headers)
    assert deep.status_code == 413  # over the size limit first
    deep = client.post("/api/v1/orders", content=b"[" * 1000 + b"]" * 1000, headers=json_headers)
    assert deep.status_code == 422 and "nested deeper than 64" in _message(deep)


def test_hundred_thousand_deep_json_is_a_clear_422(client: TestClient) -> None:
    response = client.post("/api/v1/orders", content=b"[" * 100_000 + b"]" * 100_000,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422 and "nested deeper than 64 levels" in _message(response)


def test_a_body_that_is_not_json_gets_a_clear_message(client: TestClient) -> None:
    json_headers = {**AUTH, "Content-Type": "application/json"}
    bad = client.post("/api/v1/orders", content=b'{"reference": "A",\n "lines": [1,]}', headers=json_headers)
    assert bad.status_code == 422
    assert _message(bad) == "body is not valid JSON: Expecting value (line 2, column 14)"
    latin = client.post("/api/v1/orders", content='{"reference": "é"}'.encode("latin-1"), headers=json_headers)
    assert latin.status_code == 422 and "not UTF-8" in _message(latin)
    form = client.post("/api/v1/orders", content=b"reference=A", headers={**AUTH, "Content-Type": "text/plain"})
    assert form.status_code == 415 and "application/json" in _message(form)
    bare = client.post("/api/v1/orders", content=json.dumps(_order()).encode(), headers=AUTH)
    assert bare.status_code == 415


def test_unknown_enum_values_are_422_with_the_allowed_values(client: TestClient) -> None:
    cases = [("/api/v1/orders", {"status": "nonsense"}, "status: must be one of 'new', 'routing'"),
             ("/api/v1/profit", {"from": "2026-11-01", "to": "2026-11-30", "group_by": "colour"},
              "group_by: must be one of 'day'"),
             ("/api/v1/reconciliation/anomalies", {"kind": "nope"}, "kind: must be one of 'unsent_paid_order'")]
    for path, params, needle in cases:
        response = client.get(path, params=params, headers=AUTH)
        assert response.status_code == 422, response.text
        assert needle in _message(response) and f"(got {next(iter(params.values()))!r})" not in needle
        assert f"(got {params.get('status') or params.get('group_by') or params.get('kind')!r})" in _message(response)
    assert client.get("/api/v1/orders", params={"status": "new"}, headers=AUTH).status_code == 200


def test_method_not_allowed_lists_every_method_of_the_path(client: TestClient) -> None:
    response = client.request("PATCH", "/api/v1/orders", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST" and "use GET or POST" in _message(response)


def test_openapi_documents_error_statuses_with_the_error_shape(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    post_orders = document["paths"]["/api/v1/orders"]["post"]["responses"]
    assert {"401", "413", "415", "422"} <= set(post_orders)
    assert post_orders["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    assert "404" in document["paths"]["/api/v1/orders/{order_id}"]["get"]["responses"]
    assert "409" in document["paths"]["/api/v1/suppliers"]["post"]["responses"]
    assert {"401", "403"} <= set(document["paths"]["/api/v1/suppliers/{code}/shipments"]["post"]["responses"])
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            assert "422" in answers and (not path.startswith("/api/v1") or "401" in answers), (method, path)
            for status, answer in answers.items():
                assert not status.startswith("4") or answer["content"] == error_body, (method, path, status)
    assert set(document["components"]["securitySchemes"]) == {"adminToken", "supplierKey"}
    store_id = document["components"]["schemas"]["MappingIn"]["properties"]["store_id"]["anyOf"][0]
    assert store_id["maximum"] == 2**63 - 1 and isinstance(store_id["maximum"], int)


def test_missing_dashboard_order_is_a_friendly_404(sqlite_hub: Hub) -> None:
    client = TestClient(create_app(sqlite_hub), headers=SAME_SITE, follow_redirects=False)
    client.post("/login", data={"token": ADMIN_TOKEN, "next": "/"})
    for path in ("/orders/999999", "/orders/99999999999999999999999", "/orders/abc"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.headers["content-type"] and "There is no order" in response.text
        assert 'href="/orders"' in response.text
