"""Every GraphQL document validates against Shopify's published Admin schemas (../shared).

The 2026-04+ shape of inventorySetQuantities cannot validate against the schemas we have
(2025-01 and unstable 2025-09-17): the `@idempotent` directive and `changeFromQuantity` came
later. So for that one document we check, honestly, what we can: it parses; with the directive
and its variable removed it is exactly the older document, which validates; and its variables
differ from the older shape only by changeFromQuantity ↔ compareQuantity, which the old schemas
reject by name (showing the test would notice a wrong field).
"""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from typing import Any

import pytest

graphql = pytest.importorskip("graphql", reason="graphql-core (test extra) is needed to validate documents")

from connectors.shopify import documents  # noqa: E402
from tests.connectors.shopify.conftest import shared_dir  # noqa: E402


@cache
def _schemas() -> dict[str, Any]:
    base = shared_dir() / "shopify"
    introspection = json.loads(gzip.decompress((base / "admin-schema-2025-01.json.gz").read_bytes()))
    sdl = gzip.decompress((base / "admin-schema-unstable-2025-09-17.graphql.gz").read_bytes()).decode()
    result = {
        "2025-01": graphql.build_client_schema(introspection["data"]),
        "unstable": graphql.build_schema(sdl),
    }
    for schema in result.values():
        schema._validation_errors = []  # graphql-core 3.3 refuses Shopify's schemas (see ../shared/README.md)
    return result


@pytest.fixture(params=["2025-01", "unstable"])
def schema(request: pytest.FixtureRequest) -> Any:
    shared_dir()
    return _schemas()[request.param]


OLD_SHAPE = [name for name in documents.operation_files() if name != "InventorySetQuantitiesIdempotent"]


def test_every_document_file_has_a_named_operation() -> None:
    names = documents.operation_files()
    assert len(names) >= 15
    for name in names:
        doc = documents.load(name)
        assert doc.operation and doc.kind in ("query", "mutation")


@pytest.mark.parametrize("name", OLD_SHAPE)
def test_document_validates(schema: Any, name: str) -> None:
    errors = graphql.validate(schema, graphql.parse(documents.load(name).text))
    assert errors == [], [e.message for e in errors]


def test_a_wrong_document_is_refused(schema: Any) -> None:
    """The check can fail: an invented field is reported."""
    bad = documents.load("Shop").text.replace("currencyCode", "currencyKode")
    assert graphql.validate(schema, graphql.parse(bad))


def _strip_idempotent(text: str) -> str:
    text = re.sub(r"\s*@idempotent\(key:\s*\$idempotencyKey\)", "", text)
    return re.sub(r",\s*\$idempotencyKey:\s*String!", "", text)


def test_newer_inventory_document_differs_only_by_the_idempotent_directive(schema: Any) -> None:
    newer = documents.load("InventorySetQuantitiesIdempotent")
    older = documents.load("InventorySetQuantities")
    parsed = graphql.parse(newer.text)  # it is well-formed GraphQL
    field = parsed.definitions[0].selection_set.selections[0]
    assert [d.name.value for d in field.directives] == ["idempotent"]
    assert newer.operation == older.operation == "InventorySetQuantities"
    assert _strip_idempotent(newer.text) == older.text
    assert graphql.validate(schema, graphql.parse(_strip_idempotent(newer.text))) == []
    errors = graphql.validate(schema, parsed)
    assert [e.message for e in errors] == ["Unknown directive '@idempotent'."]  # the known, only gap


def _coerce(schema: Any, value: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    graphql.utilities.coerce_input_value(
        value,
        schema.get_type("InventorySetQuantitiesInput"),
        lambda path, _v, err: errors.append(err.message),
    )
    return errors


def test_inventory_variables_of_each_shape(schema: Any) -> None:
    base = {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": "gid://shopify/InventoryItem/1",
                "locationId": "gid://shopify/Location/2",
                "quantity": 5,
            }
        ],
    }
    older = json.loads(json.dumps(base))
    older["ignoreCompareQuantity"] = True
    older["quantities"][0]["compareQuantity"] = None
    assert _coerce(schema, older) == []
    newer = json.loads(json.dumps(base))
    newer["quantities"][0]["changeFromQuantity"] = None
    assert any("changeFromQuantity" in e for e in _coerce(schema, newer))  # unknown before 2026-04


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2025-10", "InventorySetQuantities"),
        ("2026-01", "InventorySetQuantities"),
        ("2026-04", "InventorySetQuantitiesIdempotent"),
        ("2026-10", "InventorySetQuantitiesIdempotent"),
        ("unstable", "InventorySetQuantitiesIdempotent"),
    ],
)
def test_inventory_document_is_picked_by_version(version: str, expected: str) -> None:
    assert documents.inventory_document(version).file == expected
