"""Webhooks: verify, store, acknowledge, process — in that order.

The request only verifies the signature and stores the raw delivery (unique per store and webhook
id, so Shopify's retries are no-ops); processing happens after commit: with a broker a wake-up
published on commit sends it to an intake worker, without one the API process runs it after the
answer. A sweep job picks up anything a crash or a lost wake-up left unprocessed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, select

from hub.db.base import utcnow
from hub.db.models import Order, Store, WebhookDelivery
from hub.db.sql import insert_for
from hub.logs import with_context
from hub.services import events, routing, wakeups
from hub.services import webhook_outcomes as outcomes
from hub.services.intake import ingest
from hub.services.stores import mark_disconnected

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

RECEIVE_WAIT_MS = 4_000  # Shopify waits 5 s for an answer: store within 4, or answer 503
ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/cancelled", "orders/paid",
                          "orders/fulfilled", "orders/partially_fulfilled", "orders/edited"})


@dataclass(frozen=True)
class Receipt:
    status_code: int
    message: str
    delivery_id: int | None = None
    duplicate: bool = False


def receive(hub: Hub, platform: str, headers: dict[str, str], body: bytes) -> Receipt:
    """Verify and store one delivery; returns what to answer. Never processes the order itself.

    One short Core transaction reads the shop's secret and stores the delivery, with statements
    built once: at hundreds of deliveries a second the ORM's and a second transaction's
    bookkeeping would cost more than the work. The wake-up goes out once it has committed."""
    shop = (headers.get("x-shopify-shop-domain") or "").strip().lower()
    webhook_id = (headers.get("x-shopify-webhook-id") or "").strip()
    topic = (headers.get("x-shopify-topic") or "").strip().lower()
    with hub.db.connection(wait_ms=RECEIVE_WAIT_MS) as connection:  # then 503: the sender retries
        store = connection.execute(_STORE_BY_SHOP, {"platform": platform, "shop": shop}).one_or_none()
        secret = _secret(hub, store)
        if store is None or secret is None:
            return Receipt(401, "unknown shop")
        if not hub.connectors.verify_webhook(platform, body, headers.get("x-shopify-hmac-sha256"), secret):
            return Receipt(401, "invalid signature")
        if not webhook_id or not topic:
            return Receipt(400, "missing X-Shopify-Webhook-Id or X-Shopify-Topic")
        error = _json_error(body)
        row = {"store_id": store.id, "webhook_id": webhook_id[:128], "topic": topic[:64], "body": body,
               "status": "error" if error else "received", "error": error, "received_at": utcnow(),
               "triggered_at": None}
        delivery_id = connection.execute(_store_statement(connection.dialect.name), row).scalar_one_or_none()
    if delivery_id is None:
        return Receipt(200, "duplicate delivery", duplicate=True)
    if error:
        return Receipt(400, f"body is not JSON: {error}", delivery_id)
    wakeups.publish([(wakeups.DELIVERY, (delivery_id,))])
    return Receipt(200, "accepted", delivery_id)


_STORE_BY_SHOP = (select(Store.id, Store.status, Store.webhook_secret_encrypted)
                  .where(Store.platform == bindparam("platform"), Store.shop_domain == bindparam("shop")))
_STORE_STATEMENTS: dict[str, Any] = {}


def _store_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id for `dialect`, built once."""
    statement = _STORE_STATEMENTS.get(dialect)
    if statement is None:
        statement = (insert_for(dialect, WebhookDelivery)
                     .on_conflict_do_nothing(index_elements=["store_id", "webhook_id"])
                     .returning(WebhookDelivery.id))
        _STORE_STATEMENTS[dialect] = statement
    return statement


def _secret(hub: Hub, store: Any) -> str | None:
    """The key a delivery for `store` (id, status, encrypted secret) must be signed with."""
    if store is None or store.status == "removed":
        return None
    if store.webhook_secret_encrypted:
        return hub.cipher.decrypt(store.webhook_secret_encrypted)
    app_secret = hub.settings.shopify_client_secret  # webhooks of an OAuth app are signed with its secret
    return app_secret.get_secret_value() if app_secret else None


def _json_error(body: bytes) -> str | None:
    try:
        payload = json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        return str(exc)[:200]
    except RecursionError:
        return "nested too deeply"
    return None if isinstance(payload, dict) else "top level is not an object"


@with_context(lambda hub, delivery_id, now=None: {"delivery_id": delivery_id})
def process(hub: Hub, delivery_id: int, now: datetime | None = None) -> str:
    """Process one stored delivery exactly once: claim it, act on its topic, record the outcome.

    Never raises for a failure of the delivery: every exception ends the attempt as `error` or, when
    it may pass, as a later retry (see webhook_outcomes). Returns the outcome."""
    now = now or utcnow()
    attempt = outcomes.claim(hub.db, delivery_id, now)
    if attempt is None:
        return "skipped"
    try:
        outcome, order_id = _act(hub, delivery_id)
    except Exception as exc:  # whatever it is, the delivery must end; the transaction has rolled back
        return outcomes.fail(hub.db, delivery_id, attempt, exc, utcnow())
    outcomes.finish(hub.db, delivery_id, "processed", None, utcnow())
    if order_id is not None and outcome in ("created", "updated") and not wakeups.enabled():
        # With a broker, intake's commit already published the order to a routing worker.
        try:  # route within seconds of the sale, not at the next tick; the routing job retries a failure
            routing.react_to_orders(hub, [order_id])
        except Exception as exc:
            logger.warning("routing after a webhook failed; the routing job will retry",
                           extra={"delivery_id": delivery_id, "error_type": type(exc).__name__})
    return outcome


def _act(hub: Hub, delivery_id: int) -> tuple[str, int | None]:
    with hub.db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        store = session.get(Store, delivery.store_id)
        assert store is not None
        payload: Any = json.loads(delivery.body, parse_float=Decimal)
        if delivery.topic in ORDER_TOPICS:
            order = hub.connectors.order_from_webhook(store.platform, payload)
            result = ingest(session, store.id, [order], source=f"webhook {delivery.topic}")
            ids = result.created_ids + result.changed_ids
            touched = ids[0] if ids else None
            return ("created" if result.created else "updated" if result.updated else "unchanged"), touched
        if delivery.topic == "refunds/create":
            return _note_refund(session, store.id, payload), None
        if delivery.topic == "app/uninstalled":
            store_id = store.id
        else:
            return "ignored", None
    mark_disconnected(hub.db, store_id)
    return "disconnected", None


def _note_refund(session: Any, store_id: int, payload: dict[str, Any]) -> str:
    """Put the refund on the order's timeline; the money itself arrives with the transactions pull."""
    order_ref = str(payload.get("order_id") or "")
    order_id = session.execute(select(Order.id).where(Order.store_id == store_id, Order.external_id == order_ref)
                               ).scalar_one_or_none()
    if order_id is None:
        return "refund for an unknown order"
    events.note(session, order_id=order_id, kind="refund", message=f"Refund {payload.get('id')} created at the store",
                data={"refund_id": str(payload.get("id")), "note": payload.get("note")})
    return "refund noted"


def process_pending(hub: Hub, limit: int = 500, now: datetime | None = None,
                    grace: timedelta = timedelta(0)) -> dict[str, int]:
    """The sweep: deliveries stored but not processed (a crash after the answer, a retry due).

    Fair: never-tried deliveries first, oldest first, then retries whose backoff is over, fewest
    attempts first; a delivery that fails is recorded and the sweep goes on with the next. A
    never-tried delivery younger than `grace` is left to the wake-up published when it was stored."""
    now = now or utcnow()
    counts: dict[str, int] = {}
    released = outcomes.release_stuck(hub.db, now)
    if released:
        counts["released"] = released
    with hub.db.transaction() as session:
        ids = session.execute(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "received",
                   or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now),
                   or_(WebhookDelivery.attempts > 0, WebhookDelivery.received_at <= now - grace))
            .order_by(WebhookDelivery.attempts, WebhookDelivery.id).limit(limit)).scalars().all()
    for outcome, count in process_many(hub, ids).items():
        counts[outcome] = counts.get(outcome, 0) + count
    return counts


def process_many(hub: Hub, delivery_ids: Iterable[int]) -> dict[str, int]:
    """Process deliveries in turn (the sweep, an intake task, the embedded lane); one that cannot
    even record its outcome (the database gone away) is counted "failed" and the rest go on."""
    counts: dict[str, int] = {}
    for delivery_id in delivery_ids:
        try:
            outcome = process(hub, delivery_id)
        except Exception as exc:  # process() records its own failures; this is the database gone away
            logger.warning("could not process a webhook delivery",
                           extra={"delivery_id": delivery_id, "error_type": type(exc).__name__})
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
        hub.db.yield_to_writers()  # a webhook waiting to be stored goes first
    return counts
