"""SQLite under a 40,000-line order: while it is routed, other writers get the write lock within a
bound and another shop's webhooks are answered 200 (never 500 "database is locked").

The bound is observed, not timed: another thread's writer that waits at most 2 s for the lock
must commit again and again while the routing runs; a routing transaction holding the lock longer
than that (or routing chunks that never let a waiting writer in) makes it fail with "database is
locked".
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text, update

from connectors.shopify.webhooks import sign_webhook
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.models import Listing, Mapping, Offer, Order, OrderLine, Store, Supplier
from hub.services import routing
from hub.services.intake import ingest_orders
from tests.factories import make_order

pytestmark = pytest.mark.slow

LINES = 40_000
SKUS = 200
OBSERVER_WAIT_MS = 2_000  # no routing transaction may keep another writer waiting this long
ROUNDS_WHILE_ROUTING = 8
SECRET = "other-shop-secret"


def _world(hub: Hub) -> tuple[int, int]:
    with hub.db.transaction() as session:
        big = Store(platform="manual", name="Big", shop_domain="big.example", currency="USD", settings={})
        other = Store(platform="shopify", name="Other", shop_domain="other.myshopify.com", currency="USD",
                      settings={}, webhook_secret_encrypted=hub.cipher.encrypt(SECRET))
        supplier = Supplier(code="bulk", name="Bulk", kind="sandbox", currency="USD", config={})
        session.add_all([big, other, supplier])
        session.flush()
        offers = [Offer(supplier_id=supplier.id, supplier_sku=f"B-{i}", cost=Decimal("3.10"),
                        shipping_cost=Decimal("0.40"), currency="USD", stock=10**7, countries=[])
                  for i in range(SKUS)]
        listings = [Listing(store_id=big.id, variant_id=f"v{i}", sku=f"SKU-{i}", price=Decimal("9.90"),
                            currency="USD") for i in range(SKUS)]
        session.add_all(offers + listings)
        session.flush()
        session.add_all([Mapping(listing_id=listing.id, offer_id=offer.id, priority=0, quantity=1)
                         for listing, offer in zip(listings, offers, strict=True)])
        big_id = big.id
    ingest_orders(hub.db, big_id, [replace(make_order("BIG"), lines=())], "test")
    with hub.db.transaction() as session:
        order_id = session.execute(select(Order.id).where(Order.external_id == "BIG")).scalar_one()
        session.execute(insert(OrderLine), [
            {"order_id": order_id, "external_id": f"L{i}", "sku": f"SKU-{i % SKUS}", "variant_id": f"v{i % SKUS}",
             "title": f"item {i}", "quantity": 1, "unit_price": Decimal("9.90"), "total_discount": Decimal(0),
             "requires_shipping": True, "routing_status": "pending"} for i in range(LINES)])
    return big_id, int(order_id)


def _routed(hub: Hub, order_id: int) -> int:
    with hub.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(OrderLine).where(
            OrderLine.order_id == order_id, OrderLine.routing_status == "routed")).scalar_one())


def _observe_write(hub: Hub, n: int) -> None:
    """One short write by another thread of the process, waiting at most OBSERVER_WAIT_MS for the
    lock ("database is locked" after that)."""
    with hub.db.transaction(wait_ms=OBSERVER_WAIT_MS) as session:
        session.execute(text("INSERT INTO lock_observer (n) VALUES (:n)"), {"n": n})


def _webhook(client: TestClient, n: int) -> int:
    body = json.dumps({"id": n, "title": f"product {n}"}).encode()
    return client.post("/webhooks/shopify", content=body, headers={
        "X-Shopify-Shop-Domain": "other.myshopify.com", "X-Shopify-Topic": "products/update",
        "X-Shopify-Webhook-Id": f"w-{n}", "X-Shopify-Hmac-Sha256": sign_webhook(body, SECRET),
        "Content-Type": "application/json"}).status_code


def test_a_40000_line_order_routes_without_starving_other_writers(sqlite_hub: Hub) -> None:
    hub = sqlite_hub
    path = hub.db.engine.url.database
    assert path is not None
    _, order_id = _world(hub)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE lock_observer (n INTEGER)")
    errors: list[BaseException] = []

    def route() -> None:
        try:
            routing.route(hub, order_id)
        except BaseException as exc:
            errors.append(exc)

    router = threading.Thread(target=route)
    router.start()
    answers: list[int] = []
    try:
        with TestClient(create_app(hub), raise_server_exceptions=False) as client:
            deadline = time.monotonic() + 120
            n = 0
            # Write and post while the choice is made, until routing has visibly written lines,
            # then for ROUNDS_WHILE_ROUTING more rounds while its chunks commit.
            progress_seen_at: int | None = None
            while progress_seen_at is None or n < progress_seen_at + ROUNDS_WHILE_ROUTING:
                assert time.monotonic() < deadline, "routing never showed progress"
                assert router.is_alive(), "routing ended before the observation"
                n += 1
                _observe_write(hub, n)
                answers.append(_webhook(client, n))
                if progress_seen_at is None and _routed(hub, order_id) > 0:
                    progress_seen_at = n
                time.sleep(0.05)
            during = _routed(hub, order_id)
            assert router.is_alive() and 0 < during < LINES  # all of it happened mid-routing
    finally:
        with hub.db.transaction() as session:  # stop it: a cancelled order is no longer routed
            session.execute(update(Order).where(Order.id == order_id).values(status="cancelled"))
        router.join(120)
    assert errors == []
    assert answers == [200] * len(answers)
