"""The stores page's health numbers and the jobs page's run history, on SQLite and PostgreSQL,
with known data: last pull, webhooks in 24 h, the latest error, the outbox backlog per store
(reached through supplier orders and shipments), the last runs per job; and the pricing preview
against the plan the sync pushes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import JobRun, Order, Shipment, SupplierOrder, SyncCursor, WebhookDelivery
from hub.domain.outbox_kinds import OutboxKind
from hub.services import outbox_messages, store_settings
from hub.services.intake import ingest_orders
from hub.services.job_history import job_history
from hub.services.pull import ORDERS_CURSOR
from hub.services.store_health import store_health
from tests import catalogue_builders as cb
from tests.factories import make_order


def _second_store(hub: Hub) -> int:
    from hub.db.models import Store

    with hub.db.transaction() as session:
        row = Store(platform="shopify", name="Other", shop_domain="other.myshopify.com", currency="EUR", settings={})
        session.add(row)
        session.flush()
        return row.id


def _supplier_order(hub: Hub, order_id: int, supplier_id: int, n: int) -> int:
    with hub.db.transaction() as session:
        row = SupplierOrder(order_id=order_id, supplier_id=supplier_id, reference=f"R{n}", idempotency_key=f"k{n}",
                            state="pending", currency="USD", expected_cost=Decimal("1"),
                            expected_shipping=Decimal("0"))
        session.add(row)
        session.flush()
        return row.id


def test_health_of_two_stores(hub: Hub) -> None:
    now = utcnow()
    one, two = cb.store(hub.db), _second_store(hub)
    supplier = cb.supplier(hub.db, "acme")
    ingest_orders(hub.db, one, [make_order("1"), make_order("2")], "pull")
    ingest_orders(hub.db, two, [make_order("9")], "pull")
    with hub.db.read() as session:
        orders = {ext: oid for oid, ext in session.execute(select(Order.id, Order.external_id))}
    placing = _supplier_order(hub, orders["1"], supplier, 1)
    shipped = _supplier_order(hub, orders["2"], supplier, 2)
    other = _supplier_order(hub, orders["9"], supplier, 3)
    with hub.db.transaction() as session:
        shipment = Shipment(supplier_order_id=shipped, tracking_number="T1", lines=[])
        session.add(shipment)
        session.flush()
        outbox_messages.enqueue(session, OutboxKind.PLACE, "p1", {"supplier_order_id": placing})
        outbox_messages.enqueue(session, OutboxKind.CANCEL, "c1", {"supplier_order_id": shipped})
        outbox_messages.enqueue(session, OutboxKind.FULFIL, "f1", {"shipment_id": shipment.id})
        outbox_messages.enqueue(session, OutboxKind.PLACE, "p3", {"supplier_order_id": other})
        outbox_messages.enqueue(session, OutboxKind.PLACE, "done", {"supplier_order_id": other})
        session.add_all([
            JobRun(job="orders.pull", store_id=one, status="ok", started_at=now - timedelta(minutes=30),
                   finished_at=now - timedelta(minutes=29)),
            JobRun(job="orders.pull", store_id=one, status="error", error="ShopifyError: 401\nmore",
                   started_at=now - timedelta(minutes=5), finished_at=now - timedelta(minutes=4)),
            JobRun(job="payments.pull", store_id=two, status="error", error="old failure",
                   started_at=now - timedelta(hours=3), finished_at=now - timedelta(hours=3)),
            JobRun(job="orders.route", store_id=None, status="ok", started_at=now - timedelta(minutes=1),
                   finished_at=now),
            SyncCursor(store_id=one, name=ORDERS_CURSOR, value="2026-12-01T10:00:00+00:00"),
        ])
        for n, (store, ago, status) in enumerate([(one, 1, "processed"), (one, 2, "error"), (one, 30, "processed"),
                                                  (two, 3, "processed")]):
            session.add(WebhookDelivery(store_id=store, webhook_id=f"w{n}", topic="orders/create", body=b"{}",
                                        status=status, error="bad body" if status == "error" else None,
                                        received_at=now - timedelta(hours=ago),
                                        processed_at=now - timedelta(hours=ago)))
    with hub.db.transaction() as session:  # one delivered, one given up
        from hub.db.models import OutboxMessage

        for message in session.execute(select(OutboxMessage)).scalars():
            if message.idempotency_key == "done":
                message.state = "done"
            if message.idempotency_key == "c1":
                message.state = "failed"

    health = store_health(hub.db, now)
    first, second = health[one], health[two]
    assert first.last_pull_status == "error" and first.last_pull_at is not None
    assert abs((first.last_pull_at - (now - timedelta(minutes=5))).total_seconds()) < 1
    assert first.orders_through == "2026-12-01T10:00:00+00:00"
    assert (first.webhooks_24h, first.webhook_errors_24h) == (2, 1)
    assert (first.last_error_source, first.last_error) == ("orders.pull", "ShopifyError: 401")
    assert (first.backlog, first.backlog_failed) == (3, 1)
    assert first.words == "needs a look"
    assert second.last_pull_at is None and second.words == "not pulled yet"
    assert (second.webhooks_24h, second.webhook_errors_24h) == (1, 0)
    assert (second.last_error_source, second.last_error) == ("payments.pull", "old failure")
    assert (second.backlog, second.backlog_failed) == (1, 0)
    assert store_health(hub.db, now, [two]).keys() == {two}

    history = job_history(hub.db, now, per_job=1)
    assert [r.status for r in history["orders.pull"].runs] == ["error"]
    assert (history["orders.pull"].runs_24h, history["orders.pull"].errors_24h) == (2, 1)
    assert history["orders.route"].runs[0].store is None and history["orders.route"].last is not None
    assert history["payments.pull"].runs[0].store == "Other"


def test_pricing_preview_moves_what_the_sync_would_push(hub: Hub) -> None:
    store = cb.store(hub.db)
    supplier = cb.supplier(hub.db, "acme")
    cheap, dear = cb.offer(hub.db, supplier, "A", "10.00"), cb.offer(hub.db, supplier, "B", "20.00")
    first = cb.listing(hub.db, store, "A", "v1", cheap, price="22.99")
    cb.listing(hub.db, store, "B", "v2", dear, price="42.99")
    from hub.db.models import Listing

    with hub.db.transaction() as session:
        for listing in session.execute(select(Listing)).scalars():
            listing.product_id = f"p{listing.id}"
    # shipping 1.00: landed 11 and 21; markup 100 → 21.99 (A moves from 22.99) and 41.99 (B moves from 42.99)
    store_settings.save(hub.db, store, pricing={"markup_percent": "100", "rounding": ".99"})
    proposed = {"markup_percent": "110", "rounding": "whole", "min_margin_percent": "0", "tolerance_percent": "4.5"}
    preview = store_settings.preview_pricing(hub, store, proposed)
    assert (preview.listings, preview.moves, preview.by_this_change) == (2, 2, 2)
    top = preview.rows[0]
    assert (top.listing_id, top.old, top.new) == (first, Decimal("22.99"), Decimal("24"))
    assert preview.awaiting_approval == 1  # 42.99 → 45 moves 4.7 %, over 4.5 %
    assert store_settings.current(hub.db, store).pricing["markup_percent"] == "100"  # nothing saved
    saved = store_settings.save(hub.db, store, pricing=proposed, stock_cover_days="10",
                                routing={"strategy": "landed_cost", "max_unit_cost": "", "prefer_scorecard": True})
    assert saved.pricing["rounding"] == "whole" and saved.stock_cover_days == 10
    assert saved.routing["strategy"] == "landed_cost" and saved.routing["prefer_scorecard"] is True
    assert saved.routing["max_unit_cost"] is None
    off = store_settings.preview_pricing(hub, store, None)
    assert not off.pricing_on and off.moves == 0
