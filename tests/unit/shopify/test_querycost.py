"""The tiny GraphQL reader and the cost model."""

from __future__ import annotations

import pytest

from connectors.shopify.querycost import (
    QuerySyntaxError,
    actual_cost,
    estimate,
    parse_operation,
    requested_cost,
)


def test_aliases_fragments_inline_fragments_and_variables() -> None:
    doc = """
    query Q($n: Int!, $id: ID!) {
      a: orders(first: $n, query: "tag:'x'") { edges { cursor node { ...F } } pageInfo { hasNextPage } }
      node(id: $id) { ... on Order { id } }
    }
    fragment F on Order { id totalPriceSet { shopMoney { amount } } }
    """
    op = parse_operation(doc, {"n": 5, "id": "gid://shopify/Order/1"})
    orders, node = op.selections
    assert orders.key == "a" and orders.name == "orders" and orders.args == {"first": 5, "query": "tag:'x'"}
    assert node.args["id"] == "gid://shopify/Order/1" and node.selections[0].name == "id"
    assert requested_cost(op) == (2 + 5 * (1 + 2)) + 1


def test_actual_cost_counts_returned_nodes() -> None:
    op = parse_operation("{ orders(first: 10) { nodes { id lineItems(first: 5) { nodes { id } } } } }")
    assert requested_cost(op) == 2 + 10 * (1 + 2 + 5 * 1)
    data = {
        "orders": {
            "nodes": [
                {"id": "1", "lineItems": {"nodes": [{"id": "a"}]}},
                {"id": "2", "lineItems": {"nodes": []}},
            ]
        }
    }
    assert actual_cost(op, data) == 2 + (1 + 2 + 1) + (1 + 2)


def test_mutations_cost_ten_per_field() -> None:
    op = parse_operation(
        "mutation M { a: webhookSubscriptionDelete(id: 1) { userErrors { message } } "
        "b: webhookSubscriptionDelete(id: 2) { userErrors { message } } }"
    )
    assert requested_cost(op) == 20 == actual_cost(op, {})


def test_named_operation_is_chosen() -> None:
    doc = "query A { shop { name } } query B { shop { plan { displayName } } }"
    assert requested_cost(parse_operation(doc, operation_name="B")) == 2
    with pytest.raises(QuerySyntaxError):
        parse_operation(doc)


@pytest.mark.parametrize(
    "bad",
    [
        "{",
        "query { a(first: ) }",
        "{ ...Missing }",
        "nonsense",
        "{ a } }",
        "{ a(b: ",
        "{ a(b: [",
        "{ a(b: {c: ",
        "query Q(",
    ],
)
def test_bad_documents(bad: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_operation(bad)
    assert estimate(bad) is None
