"""Errors specific to Shopify's GraphQL Admin API, on top of connectors.http's hierarchy.

Shopify answers most GraphQL failures with HTTP 200, so the status code alone cannot tell a
throttle, a bad query and a refused mutation apart; these classes do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.http import ConnectorError, MalformedResponse, RateLimited


class ShopifyThrottled(RateLimited):
    """`{"errors":[{"extensions":{"code":"THROTTLED"}}]}`: the cost bucket could not pay the query.

    A RateLimited, so the retry policy retries it after `retry_after` (computed from the bucket).
    """


class ShopifyGraphQLError(ConnectorError):
    """Top-level GraphQL `errors` (bad query, unknown id type, cost over the 1,000 limit...): final."""

    def __init__(self, messages: Sequence[str], codes: Sequence[str] = ()) -> None:
        super().__init__("; ".join(messages) or "GraphQL error without message")
        self.messages = tuple(messages)
        self.codes = tuple(codes)


@dataclass(frozen=True, slots=True)
class UserError:
    """One entry of a mutation's `userErrors`: the input path it blames and why."""

    field: tuple[str, ...]
    message: str
    code: str | None = None


class ShopifyUserErrors(ConnectorError):
    """A mutation ran but refused its input (`userErrors` not empty): fix the input, do not retry."""

    def __init__(self, operation: str, errors: Sequence[UserError]) -> None:
        detail = "; ".join(f"{'.'.join(e.field) or '-'}: {e.message}" for e in errors)
        super().__init__(f"{operation} refused: {detail}")
        self.operation = operation
        self.errors = tuple(errors)


class ShopifyMappingError(MalformedResponse):
    """A Shopify payload (GraphQL node or REST/webhook body) lacks or garbles a field we need."""
