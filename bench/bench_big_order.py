"""A 40,000-line order on SQLite: how long any write transaction holds the lock, and how fast
the webhooks of another shop are answered meanwhile.

Builds a store with a catalogue, takes one N-line order in through the manual intake path,
routes it, books its ledger and runs the sweeps, timing every write transaction (BEGIN IMMEDIATE
to COMMIT) by phase. Meanwhile (intake to sweep) another shop's signed webhooks are posted to the
real app over HTTP (a uvicorn server in a thread) every 20 ms; their answer latency p50/p99/max
and any non-200 answer are printed. Aim: longest lock hold well under 1 s, webhook p99 < 1 s.

    python bench/bench_big_order.py [--lines 40000] [--skus 2000]
"""

from __future__ import annotations

import argparse
import contextvars
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlalchemy import event

from connectors.shopify.webhooks import sign_webhook
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.crypto import TokenCipher
from hub.db.engine import READ_ONLY, Database
from hub.db.migrate import upgrade
from hub.db.models import Listing, Mapping, Offer, Store, Supplier
from hub.domain.orders import FinancialStatus, FulfillmentStatus, OrderIn, OrderLineIn
from hub.services import anomalies, ledger, routing, webhooks
from hub.services.intake import ingest_orders

PHASE: contextvars.ContextVar[str] = contextvars.ContextVar("phase", default="other")
CURRENT = {"phase": "setup"}  # the main thread's phase, as the webhook sender sees it
SECRET = "bench-webhook-secret"


class LockWatch:
    """Every write transaction's hold time (BEGIN IMMEDIATE returned → COMMIT/ROLLBACK), by phase."""

    def __init__(self, db: Database) -> None:
        self.holds: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

        @event.listens_for(db.engine, "begin")
        def _begun(connection: Any) -> None:  # runs after the engine's own BEGIN IMMEDIATE
            if not connection.get_execution_options().get(READ_ONLY):  # a read takes no lock
                connection.info["bench_t0"] = time.perf_counter()

        def _ended(connection: Any) -> None:
            start = connection.info.pop("bench_t0", None)
            if start is not None:
                with self._lock:
                    self.holds[PHASE.get()].append(time.perf_counter() - start)

        event.listen(db.engine, "commit", _ended)
        event.listen(db.engine, "rollback", _ended)

    def longest(self, phase: str) -> tuple[int, float]:
        holds = self.holds.get(phase, [])
        return len(holds), max(holds, default=0.0)


def build(hub: Hub, skus: int) -> int:
    """Two shops (a manual one with a catalogue, and a Shopify one that sends webhooks) and a supplier."""
    with hub.db.transaction() as session:
        big = Store(platform="manual", name="Big", shop_domain="big.example", currency="USD", settings={})
        other = Store(platform="shopify", name="Other", shop_domain="other.myshopify.com", currency="USD",
                      settings={}, webhook_secret_encrypted=hub.cipher.encrypt(SECRET))
        supplier = Supplier(code="bulk", name="Bulk", kind="sandbox", currency="USD", config={})
        session.add_all([big, other, supplier])
        session.flush()
        offers = [Offer(supplier_id=supplier.id, supplier_sku=f"B-{i:05d}", cost=Decimal("3.10"),
                        shipping_cost=Decimal("0.40"), currency="USD", stock=10**6, countries=[])
                  for i in range(skus)]
        session.add_all(offers)
        session.flush()
        listings = [Listing(store_id=big.id, variant_id=f"v{i}", sku=f"SKU-{i:05d}", price=Decimal("9.90"),
                            currency="USD") for i in range(skus)]
        session.add_all(listings)
        session.flush()
        session.add_all([Mapping(listing_id=listing.id, offer_id=offer.id, priority=0, quantity=1)
                         for listing, offer in zip(listings, offers, strict=True)])
        return big.id


def big_order(lines: int, skus: int) -> OrderIn:
    now = datetime.now(UTC)
    order_lines = tuple(OrderLineIn(external_id=f"L{i}", sku=f"SKU-{i % skus:05d}", title=f"item {i}",
                                    quantity=1 + i % 3, unit_price=Decimal("9.90"), variant_id=f"v{i % skus}")
                        for i in range(lines))
    subtotal = sum((line.unit_price * line.quantity for line in order_lines), Decimal(0))
    return OrderIn(external_id="BIG-1", name="#BIG-1", currency="USD", created_at=now, updated_at=now,
                   financial_status=FinancialStatus.PAID, fulfillment_status=FulfillmentStatus.UNFULFILLED,
                   subtotal_price=subtotal, total_discounts=Decimal(0), total_shipping=Decimal("4.90"),
                   total_tax=Decimal(0), total_price=subtotal + Decimal("4.90"), lines=order_lines,
                   email="big@example.com", shipping_address=None)


def post_webhooks(url: str, stop: threading.Event, latencies: list[tuple[str, float]],
                  failures: list[str]) -> None:
    with httpx.Client(timeout=60) as client:
        n = 0
        while not stop.is_set():
            n += 1
            body = json.dumps({"id": n, "title": f"product {n}"}).encode()
            headers = {"X-Shopify-Shop-Domain": "other.myshopify.com", "X-Shopify-Topic": "products/update",
                       "X-Shopify-Webhook-Id": f"bench-{n}", "X-Shopify-Hmac-Sha256": sign_webhook(body, SECRET),
                       "Content-Type": "application/json"}
            start, phase = time.perf_counter(), CURRENT["phase"]
            try:
                response = client.post(f"{url}/webhooks/shopify", content=body, headers=headers)
            except httpx.TransportError as exc:
                failures.append(f"connection: {type(exc).__name__}")
                continue
            finally:
                latencies.append((phase, time.perf_counter() - start))
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text[:120]}")
            stop.wait(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=40_000)
    parser.add_argument("--skus", type=int, default=2_000)
    args = parser.parse_args()
    from tests.live import live_server

    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'big.db'}")
        upgrade(db.engine)
        settings = Settings(_env_file=None, admin_token="bench", var_dir=Path(folder))  # type: ignore[call-arg]
        hub = Hub(settings=settings, db=db, cipher=TokenCipher(settings.fernet_key()))
        watch = LockWatch(db)
        started = time.perf_counter()
        PHASE.set("setup")
        store_id = build(hub, args.skus)
        order = big_order(args.lines, args.skus)
        print(f"catalogue of {args.skus:,} SKUs and a {args.lines:,}-line order built in "
              f"{time.perf_counter() - started:.1f} s")

        latencies: list[tuple[str, float]] = []
        failures: list[str] = []
        stop = threading.Event()
        timings: dict[str, float] = {}
        with live_server(create_app(hub)) as url:
            sender = threading.Thread(target=post_webhooks, args=(url, stop, latencies, failures))
            sender.start()
            for phase, work in (
                    ("intake", lambda: ingest_orders(db, store_id, [order], "bench")),
                    ("routing", lambda: routing.route_pending(hub)),
                    ("ledger", lambda: ledger.record_changed_orders(db, store_id)),
                    ("reconcile", lambda: anomalies.reconcile(db, tolerance_pct=Decimal(5),
                                                              grace=timedelta(minutes=60),
                                                              reporting_currency="USD")),
                    ("sweep", lambda: webhooks.process_pending(hub))):
                PHASE.set(phase)
                CURRENT["phase"] = phase
                started = time.perf_counter()
                outcome = work()
                timings[phase] = time.perf_counter() - started
                if phase == "routing":
                    print(f"routing: {outcome}")
            PHASE.set("other")
            stop.set()
            sender.join(120)
        print("\nwrite transactions by phase (count, longest hold, phase wall time):")
        for phase in ("intake", "routing", "ledger", "reconcile", "sweep", "other"):
            count, longest = watch.longest(phase)
            print(f"  {phase:10s} {count:6d}  {longest * 1000:9.1f} ms  {timings.get(phase, 0):7.1f} s")
        overall = max((max(v) for k, v in watch.holds.items() if k not in ("setup", "intake")), default=0.0)
        print(f"longest lock hold after intake: {overall * 1000:.1f} ms")
        print("\nwebhooks of another shop, answer latency by the phase they were sent in:")
        for phase in ("intake", "routing", "ledger", "reconcile", "sweep", "all"):
            ordered = sorted(t for p, t in latencies if phase in (p, "all"))
            if not ordered:
                continue
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            print(f"  {phase:10s} {len(ordered):5d} sent  p50 {statistics.median(ordered) * 1000:8.1f} ms  "
                  f"p99 {p99 * 1000:8.1f} ms  max {ordered[-1] * 1000:8.1f} ms")
        print(f"non-200 answers: {len(failures)}")
        for failure in failures[:5]:
            print(f"  {failure}")
        db.dispose()


if __name__ == "__main__":
    main()
