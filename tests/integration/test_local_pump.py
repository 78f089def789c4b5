"""The embedded mode's background lanes (no broker): a stored webhook is processed, its order
routed and its supplier order's outbox message delivered by the process itself, right away,
with no periodic job running."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import Order, OutboxMessage, WebhookDelivery
from hub.services import wakeups
from hub.services import webhooks as webhook_service
from hub.tasks import local
from tests.e2e.celery_support import wait_for
from tests.webhook_payloads import connect_store, signed, valid_order


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    wait_for(condition, 30, what, lambda: "")


def test_a_stored_webhook_is_processed_and_its_order_reacted_to_by_the_lanes(hub: Hub) -> None:
    connect_store(hub)
    pump = local.install(hub)
    try:
        body = json.dumps(valid_order(501)).encode()
        receipt = webhook_service.receive(hub, "shopify", {k.lower(): v for k, v in signed(body, "lane-1").items()},
                                          body)
        assert receipt.status_code == 200 and receipt.delivery_id is not None

        def processed() -> bool:
            with hub.db.read() as session:
                status = session.execute(select(WebhookDelivery.status)
                                         .where(WebhookDelivery.id == receipt.delivery_id)).scalar_one()
                order = session.execute(select(Order.status).where(Order.external_id == "501")).scalar_one_or_none()
            # unmapped SKUs: routing runs and sets the order aside for attention (it leaves "new")
            return status == "processed" and order not in (None, "new", "routing")

        _wait_for(processed, "the delivery processed and its order routed")
    finally:
        pump.close()
        wakeups.set_publisher(None)


def test_an_outbox_wakeup_runs_in_the_calls_lane(hub: Hub) -> None:
    from hub.services import outbox

    pump = local.install(hub)
    try:
        with hub.db.transaction() as session:
            outbox.enqueue(session, "store.fulfill", "lane-k1", {})  # no such order: attempted, then failed
        def attempted() -> bool:
            with hub.db.read() as session:
                return bool(session.execute(select(OutboxMessage.attempts)
                                            .where(OutboxMessage.idempotency_key == "lane-k1")).scalar_one())
        _wait_for(attempted, "the message attempted")
    finally:
        pump.close()
        wakeups.set_publisher(None)
