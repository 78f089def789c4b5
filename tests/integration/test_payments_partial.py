"""payments.pull under a remote that fails for one order: the other orders and the payouts are
still recorded in that run, the run says it was incomplete, and the next run completes it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from connectors.http import RetryPolicy
from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxShopify
from hub.bootstrap import Hub
from hub.db.models import LedgerEntry, Order, Payout
from hub.services import payments, pull

pytestmark = pytest.mark.integration


class _FailingFor(httpx.BaseTransport):
    """Answers 503 to every request that names `needle` (one order's id), passes the rest."""

    def __init__(self, inner: httpx.BaseTransport, needle: str) -> None:
        self.inner, self.needle, self.refused = inner, needle, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.needle in request.read().decode():
            self.refused += 1
            return httpx.Response(503, content=b"unavailable", request=request)
        return self.inner.handle_request(request)


def _fees(hub: Hub) -> dict[str, int]:
    with hub.db.transaction() as session:
        rows = session.execute(select(Order.external_id, func.count()).join(
            LedgerEntry, LedgerEntry.order_id == Order.id).where(LedgerEntry.kind == "payment_fee")
            .group_by(Order.external_id)).all()
    return {external_id: count for external_id, count in rows}


def test_one_failing_order_holds_back_neither_the_others_nor_the_payouts(
        connected: tuple[Hub, int], sandbox: SandboxShopify) -> None:
    hub, store_id = connected
    hub.settings.payments_lookback_days = 3650
    pull.pull_orders(hub, store_id)
    with hub.db.transaction() as session:
        first = session.execute(select(Order.external_id).order_by(Order.id).limit(1)).scalar_one()
    failing = _FailingFor(sandbox.transport(), f'"gid://shopify/Order/{first}"')
    hub.connectors = ConnectorRegistry(shopify_transport=failing, retry=RetryPolicy(attempts=2, sleep=lambda _: None))

    with pytest.raises(payments.PaymentsIncomplete, match=f"order {first}"):
        payments.pull_payments(hub, store_id)
    assert failing.refused == 2  # retried by the client, then given up for this run
    booked = _fees(hub)
    assert first not in booked and len(booked) > 1, "the other orders' fees are booked"
    with hub.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Payout)).scalar_one() > 0, "payouts too"

    hub.connectors = ConnectorRegistry(shopify_transport=sandbox.transport())
    counts = payments.pull_payments(hub, store_id)  # the remote is back: the next run completes it
    assert first in _fees(hub) and counts["unreconciled"] == 0
