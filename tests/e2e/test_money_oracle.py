"""The money oracle: thousands of randomized orders run end to end through the sandboxes, and the
profit of every order from the API equals an independent computation from the sandboxes' own
records, to the cent.

Two shops (USD and EUR), two suppliers (USD and EUR) with overlapping catalogues; orders have
several lines, line and order discounts, shipping and tax, and a fee on every sale. Some orders
are cancelled before the hub sees them, some after their supplier orders were placed (the
supplier cancels), some after they shipped (too late: the supplier keeps its charge); some are
partly refunded (units, shipping, goodwill amounts), some wholly. The hub pulls, routes, places,
polls, books, pulls payments; the test then computes what each order earned from nothing but the
shop's orders, refunds and transactions, the suppliers' orders, and the FX table it loaded itself.

150 orders on SQLite and 100 on PostgreSQL in the suite: the same code paths as the full-size run
(`HUB_ORACLE_ORDERS=5000`, about 4 minutes on SQLite and 10 on PostgreSQL on two cores), sized so
the whole suite stays within CI's time. HUB_ORACLE_ORDERS sets the count for both backends;
HUB_ORACLE_SEED the seed.
"""

from __future__ import annotations

import io
import os
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.registry import ConnectorRegistry
from connectors.shopify.sandbox import SandboxConfig, SandboxShopify
from connectors.shopify.sandbox import data as shop_data
from connectors.suppliers.sandbox.config import SupplierSandboxConfig
from connectors.suppliers.sandbox.server import SandboxSupplierServer
from connectors.suppliers.sandbox.state import SupplierOrder as SupplierRecord
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.sandbox_mode import connect_sandbox_supplier
from hub.services import anomalies, fx, outbox, stores
from hub.services.cancellation import cancel_open_supplier_orders
from hub.services.ledger import record_changed_orders
from hub.services.listings import sync_listings
from hub.services.payments import pull_payments
from hub.services.profit import order_profit
from hub.services.pull import pull_orders
from hub.services.routing import route_pending
from hub.services.supplier_polling import poll_shipments
from tests.conftest import ADMIN_TOKEN

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ORDERS = {"sqlite": 150, "postgresql": 100}
if os.environ.get("HUB_ORACLE_ORDERS"):
    ORDERS = dict.fromkeys(ORDERS, int(os.environ["HUB_ORACLE_ORDERS"]))
SEED = int(os.environ.get("HUB_ORACLE_SEED", "20261202"))
DAYS = 20
CENT = Decimal("0.01")
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
SHOPS = {"oracle-usd.myshopify.com": ("USD", 1000, 101), "oracle-eur.myshopify.com": ("EUR", 500_000, 202)}
SUPPLIERS = {"oracle-us": ("US Wholesale", "USD", 7, Decimal("1.00"), 1),
             "oracle-eu": ("EU Dropship", "EUR", 8, Decimal("0.85"), 2)}


@dataclass
class World:
    hub: Hub
    orders: int
    shops: dict[str, SandboxShopify]
    suppliers: dict[str, SandboxSupplierServer]
    store_ids: dict[str, int]
    rates: dict[date, Decimal]  # EUR → USD of each day, as loaded into the hub
    cancelled_after_shipping: set[tuple[str, str]]  # (shop domain, order id)


def _by_host(shops: dict[str, SandboxShopify]) -> httpx.MockTransport:
    """One transport for both shops: Shopify is reached at each shop's own domain."""
    transports = {domain: shop.transport() for domain, shop in shops.items()}

    def handle(request: httpx.Request) -> httpx.Response:
        return transports[request.url.host].handle_request(request)

    return httpx.MockTransport(handle)


def _settle(hub: Hub) -> None:
    for _ in range(20):
        routed = route_pending(hub, limit=20_000)
        delivered = outbox.dispatch(hub, limit=20_000)
        if not routed and not delivered:
            return


def _sync_all(world: World) -> None:
    hub = world.hub
    for store_id in world.store_ids.values():
        pull_orders(hub, store_id)
    _settle(hub)
    cancel_open_supplier_orders(hub)
    _settle(hub)


def _ship(server: SandboxSupplierServer, references: list[str]) -> None:
    client = httpx.Client(transport=server.transport())
    for reference in references:
        client.post("http://sandbox/_ship", json={"reference": reference})


def _random_refund(rng: random.Random, shop: SandboxShopify, order: shop_data.Order, at: datetime) -> None:
    """Units of one or two lines, sometimes the shipping, sometimes a goodwill amount."""
    from connectors.shopify.sandbox.refunds import refunded_quantity

    lines = [ln for ln in order.lines if ln.quantity > refunded_quantity(order, ln)]
    items = [(ln, rng.randint(1, ln.quantity - refunded_quantity(order, ln)))
             for ln in rng.sample(lines, min(len(lines), rng.randint(1, 2)))]
    shipping = bool(order.shipping) and rng.random() < 0.3
    adjustment = Decimal(rng.choice((0, 0, 0, 150, 500))) / 100
    if rng.random() < 0.15:
        items, shipping, adjustment = [], False, Decimal(rng.randint(100, 900)) / 100
    if not items and not shipping and not adjustment:
        adjustment = Decimal("1.00")
    left = order.total - order.refunded
    try:
        shop.refund_order(order, at, items, shipping=shipping, adjustment=adjustment)
    except ValueError:  # more than is left to refund: refund a smaller goodwill amount instead
        if left > CENT:
            shop.refund_order(order, at, adjustment=min(left, Decimal("1.00")))


def _build(hub: Hub) -> World:
    rng = random.Random(SEED)
    shops = {domain: SandboxShopify(SandboxConfig(
        shop_domain=domain, shop_name=domain.split(".")[0], currency=currency, orders=0, seed=seed,
        order_discount_rate=0.25, bucket_size=1e9, restore_rate=1e9)) for domain, (currency, _, seed) in SHOPS.items()}
    for domain, shop in shops.items():
        shop.data.continue_after(shop.data._next_id, SHOPS[domain][1])
    suppliers = {code: SandboxSupplierServer(SupplierSandboxConfig(
        name=name, currency=currency, seed=seed, coverage=0.8, price_factor=factor, ship_after=-1, split_rate=0.15,
        stock_range=(50_000, 90_000))) for code, (name, currency, seed, factor, _) in SUPPLIERS.items()}
    hub.connectors = ConnectorRegistry(shopify_transport=_by_host(shops),
                                       supplier_transports={c: s.transport() for c, s in suppliers.items()})
    hub.settings.payments_lookback_days = DAYS + 5
    hub.settings.orders_initial_lookback_days = DAYS + 5
    today = utcnow().date()
    first_day = today - timedelta(days=DAYS)
    rates = {first_day + timedelta(days=i): Decimal(rng.randint(10_500, 11_500)) / 10_000 for i in range(DAYS + 1)}
    csv_text = "day,base,quote,rate\n" + "".join(f"{d.isoformat()},EUR,USD,{r}\n" for d, r in rates.items())
    result = fx.import_csv(hub.db, io.BytesIO(csv_text.encode()), "oracle")
    assert result.written == len(rates) and not result.rejects
    store_ids = {}
    for domain, shop in shops.items():
        view = stores.add_shopify_store(hub, stores.NewShopifyStore(shop=domain, token=shop.config.access_token))
        store_ids[domain] = int(view["id"])
        assert view["currency"] == shop.config.currency
    for code, (name, _, _, _, priority) in SUPPLIERS.items():
        connect_sandbox_supplier(hub, code, name, priority, {"code": code, "base_url": f"http://{code}.sandbox"},
                                 suppliers[code])
    for store_id in store_ids.values():
        sync_listings(hub, store_id)
    return World(hub, ORDERS[hub.db.engine.dialect.name], shops, suppliers, store_ids, rates, set())


def _run(world: World) -> None:
    rng = random.Random(SEED + 1)
    start = datetime.combine(min(world.rates), datetime.min.time(), tzinfo=utcnow().tzinfo) + timedelta(hours=1)
    span = (utcnow() - timedelta(hours=2) - start).total_seconds()
    domains = list(world.shops)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(world.orders))
    created: list[tuple[str, shop_data.Order]] = []
    for moment in moments:  # orders arrive in time order, each at its own shop
        domain = rng.choice(domains)
        created += [(domain, o) for o in world.shops[domain].create_orders(1, at=moment)]
    late = utcnow() - timedelta(minutes=30)
    for domain, order in created:  # cancelled before the hub ever sees them
        if rng.random() < 0.03:
            world.shops[domain].cancel_order(order, late)
    _sync_all(world)

    placed = {(d, o.id): o for d, o in created if o.cancelled_at is None}
    by_note = _supplier_orders_by_order(world)
    events = utcnow() - timedelta(minutes=20)
    to_ship: dict[str, list[str]] = defaultdict(list)
    ship_then_cancel: list[tuple[str, shop_data.Order]] = []
    for (domain, _), order in placed.items():
        shop = world.shops[domain]
        roll = rng.random()
        if roll < 0.05:  # cancelled while its supplier orders are open: the suppliers cancel them
            shop.cancel_order(order, events)
            continue
        if roll < 0.13:
            _random_refund(rng, shop, order, events)
        elif roll < 0.15:
            shop.refund_order(order, events, [(ln, ln.quantity) for ln in order.lines], shipping=True)
        if rng.random() < 0.5:
            for code, reference in by_note.get((domain, str(order.id)), []):
                to_ship[code].append(reference)
            if rng.random() < 0.04 and by_note.get((domain, str(order.id))):
                ship_then_cancel.append((domain, order))
    for code, references in to_ship.items():
        _ship(world.suppliers[code], references)
    for domain, order in ship_then_cancel:  # too late for the suppliers: they keep their charge
        world.shops[domain].cancel_order(order, events + timedelta(minutes=1))
        world.cancelled_after_shipping.add((domain, str(order.id)))
    _sync_all(world)
    poll_shipments(world.hub)
    _settle(world.hub)
    for domain, shop in world.shops.items():
        shop.settle_payouts(utcnow())
        record_changed_orders(world.hub.db, world.store_ids[domain])
        pull_payments(world.hub, world.store_ids[domain])


def _supplier_orders(world: World) -> Iterator[tuple[str, tuple[str, str], SupplierRecord]]:
    """Every order in the suppliers' books as (supplier code, (shop domain, shop order id), record),
    matched to its shop order by what the hub sent: the customer's e-mail and the order name."""
    shop_order = {(o.email, f"#{o.number}"): (domain, str(o.id)) for domain, shop in world.shops.items()
                  for o in shop.data.orders}
    for code, server in world.suppliers.items():
        for orders in server.books.orders.values():
            for so in orders:
                key = shop_order.get((so.email or "", so.note or ""))
                assert key is not None, f"supplier order {so.reference} names no shop order"
                yield code, key, so


def _supplier_orders_by_order(world: World) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(shop domain, shop order id) → [(supplier code, reference)]."""
    found: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for code, key, so in _supplier_orders(world):
        found[key].append((code, so.reference))
    return found


def _expected_profit(world: World, *, exact: bool = False) -> dict[tuple[str, str], dict[str, Decimal]]:
    """Each shop order's money in USD, from the shops' and suppliers' records and the FX table
    (rounded to the cent, or `exact`)."""
    def usd(amount: Decimal, currency: str, day: date) -> Decimal:
        return amount if currency == "USD" else amount * world.rates[day]

    costs: dict[tuple[str, str], list[tuple[Decimal, Decimal, str]]] = defaultdict(list)
    for _, key, so in _supplier_orders(world):
        if so.state != "cancelled":
            costs[key].append((so.product_cost, so.shipping_cost, so.currency))
    expected = {}
    for domain, shop in world.shops.items():
        for o in shop.data.orders:
            day, cur = o.created_at.date(), o.currency
            revenue = sum((ln.price * ln.quantity - ln.discount for ln in o.lines), Decimal(0)) \
                - o.order_discount + o.shipping
            refunds = sum((r.total - sum((rl.tax for rl in r.lines), Decimal(0)) - r.shipping_tax
                           for r in o.refunds), Decimal(0))
            fees = sum((t.fee for t in o.transactions if t.status == "SUCCESS"), Decimal(0))
            goods = sum((usd(c, k, day) for c, _, k in costs[(domain, str(o.id))]), Decimal(0))
            carriage = sum((usd(s, k, day) for _, s, k in costs[(domain, str(o.id))]), Decimal(0))
            values = {"revenue": usd(revenue, cur, day), "refunds": usd(refunds, cur, day),
                      "fees": usd(fees, cur, day), "supplier_cost": goods, "shipping_cost": carriage}
            values["profit"] = (values["revenue"] - values["refunds"] - values["fees"] - goods - carriage)
            expected[(domain, str(o.id))] = {k: v if exact else v.quantize(CENT, ROUND_HALF_EVEN)
                                             for k, v in values.items()}
    return expected


def _api_orders(client: TestClient, store_domains: dict[int, str]) -> dict[int, tuple[str, str]]:
    """Hub order id → (shop domain, shop order id), read page by page from the orders API."""
    out: dict[int, tuple[str, str]] = {}
    cursor: str | None = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/orders", params=params, headers=AUTH)
        assert page.status_code == 200, page.text
        body = page.json()
        for row in body["orders"]:
            out[row["id"]] = (store_domains[row["store_id"]], row["external_id"])
        cursor = body.get("next_cursor")
        if not cursor:
            return out


@pytest.fixture
def world(hub: Hub) -> Iterator[World]:
    built = _build(hub)
    yield built


def test_profit_of_every_order_equals_the_sandboxes_records(world: World) -> None:
    _run(world)
    expected = _expected_profit(world)
    assert len(expected) == world.orders
    hub = world.hub
    with TestClient(create_app(hub), raise_server_exceptions=False) as client:
        ids = _api_orders(client, {sid: domain for domain, sid in world.store_ids.items()})
        assert sorted(ids.values()) == sorted(expected), "every shop order reached the hub, once"
        first, last = min(world.rates), max(world.rates)
        answer = client.get("/api/v1/profit", headers=AUTH, params={
            "from": first.isoformat(), "to": last.isoformat(), "group_by": "order", "currency": "USD"})
        assert answer.status_code == 200, answer.text
        rows = {int(row["ref"]): row for row in answer.json()["rows"]}
        with hub.db.read() as session:  # each order alone: its own rounding, exact to the cent
            alone = {hub_id: order_profit(session, hub_id, "USD") for hub_id in ids}
        wrong = []
        for hub_id, shop_key in ids.items():
            row, want = alone.get(hub_id), expected[shop_key]
            got = {k: Decimal(row[k]) for k in want} if row else None
            if got != want:
                wrong.append((shop_key, want, got))
        assert not wrong, f"{len(wrong)} of {len(ids)} orders differ, e.g. {wrong[:3]}"
        assert not any(row["fx_missing"] for row in rows.values())
        # In the breakdown a converted order's row may carry one of the cents that make the rows
        # add up to the total (rounded one by one they would not): within a cent of its own.
        far = [(hub_id, name) for hub_id, shop_key in ids.items() for name, want in expected[shop_key].items()
               if abs(Decimal(rows[hub_id][name]) - want) > CENT]
        assert not far, f"order rows more than a cent from the order's own profit: {far[:5]}"
        _assert_breakdowns(client, world, first, last)

        sample = random.Random(SEED).sample(sorted(ids), 25)  # the order view tells the same profit
        for hub_id in sample:
            view = client.get(f"/api/v1/orders/{hub_id}", headers=AUTH).json()
            assert Decimal(view["profit"]["profit"]) == expected[ids[hub_id]]["profit"]

    _assert_the_books_agree(world, expected, ids)


COLUMNS = ("revenue", "refunds", "fees", "supplier_cost", "shipping_cost", "fx", "profit")


def _breakdown(client: TestClient, group: str, first: date, last: date) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/profit", headers=AUTH, params={
        "from": first.isoformat(), "to": last.isoformat(), "group_by": group, "currency": "USD"})
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()["rows"]
    keys = [row["key"] for row in rows]
    assert all(keys) and len(set(keys)) == len(keys), f"{group}: keys empty or repeated"
    assert all(row["label"] for row in rows)
    return rows


def _sums(rows: list[dict[str, Any]]) -> dict[str, Decimal]:
    return {name: sum((Decimal(row[name]) for row in rows), Decimal(0)) for name in COLUMNS}


def _expected_by_product(world: World) -> dict[str, Decimal]:
    """Revenue per SKU in USD from the shops' records, order-level revenue (order discount,
    shipping charged) spread on the lines by their goods revenue, largest remainder to the cent."""
    from hub.domain.allocation import split

    exact: dict[str, Decimal] = defaultdict(Decimal)
    for shop in world.shops.values():
        for o in shop.data.orders:
            rate = Decimal(1) if o.currency == "USD" else world.rates[o.created_at.date()]
            goods = [ln.price * ln.quantity - ln.discount for ln in o.lines]
            spread = [Decimal(0)] * len(o.lines)
            for amount in (-o.order_discount, o.shipping):
                if amount:
                    parts = split(amount, goods, o.currency, [ln.quantity for ln in o.lines])
                    spread = [a + b for a, b in zip(spread, parts, strict=True)]
            for line, good, extra in zip(o.lines, goods, spread, strict=True):
                exact[line.variant.sku] += (good + extra) * rate
    return exact


def _assert_breakdowns(client: TestClient, world: World, first: date, last: date) -> None:
    """Product, supplier, store (and order) rows each add up to the period's total to the cent,
    and each agrees with the sandboxes' records."""
    total = _sums(_breakdown(client, "day", first, last))
    groups = {group: _breakdown(client, group, first, last) for group in ("product", "supplier", "store", "order")}
    for group, rows in groups.items():
        assert _sums(rows) == total, f"profit by {group} does not add up to the period's total"
    exact = _expected_profit(world, exact=True)
    overall = {name: sum((v[name] for v in exact.values()), Decimal(0)) for name in exact[next(iter(exact))]}
    for name, value in overall.items():  # supplier charges in another currency are booked to 1/10,000
        assert abs(total[name] - value) <= Decimal("0.05"), (name, total[name], value)

    domain_of = {str(sid): domain for domain, sid in world.store_ids.items()}
    stores_seen = {domain_of[row["ref"]]: row for row in groups["store"]}
    assert set(stores_seen) == set(world.shops)
    for domain, row in stores_seen.items():
        mine = [v for (d, _), v in exact.items() if d == domain]
        for name in ("revenue", "refunds", "fees"):  # the shop's own facts: exact, then one rounding
            want = sum((v[name] for v in mine), Decimal(0))
            assert abs(Decimal(row[name]) - want) <= CENT, (domain, name, row[name], want)

    costs: dict[str, Decimal] = defaultdict(Decimal)
    for code, key, so in _supplier_orders(world):
        if so.state != "cancelled":
            day = next(o.created_at.date() for o in world.shops[key[0]].data.orders if str(o.id) == key[1])
            rate = Decimal(1) if so.currency == "USD" else world.rates[day]
            costs[code] += (so.product_cost + so.shipping_cost) * rate
    suppliers = {row["key"]: row for row in groups["supplier"]}
    for code in SUPPLIERS:
        got = Decimal(suppliers[code]["supplier_cost"]) + Decimal(suppliers[code]["shipping_cost"])
        assert abs(got - costs[code]) <= Decimal("0.05"), (code, got, costs[code])
        assert suppliers[code]["label"] == SUPPLIERS[code][0] and Decimal(suppliers[code]["revenue"]) > 0

    products = {row["key"]: row for row in groups["product"]}
    want_revenue = _expected_by_product(world)
    assert set(products) == set(want_revenue)
    off = [(sku, products[sku]["revenue"], value) for sku, value in want_revenue.items()
           if abs(Decimal(products[sku]["revenue"]) - value) > CENT]
    assert not off, f"product revenue differs from the records: {off[:5]}"
    for row in groups["product"]:  # sold, not all refunded, no supplier cost: never a pure margin
        if Decimal(row["supplier_cost"]) == 0 and Decimal(row["revenue"]) > Decimal(row["refunds"]):
            assert row["incomplete"] and row["margin"] is None, str(row)


def _assert_the_books_agree(world: World, expected: dict[tuple[str, str], dict[str, Decimal]],
                            ids: dict[int, tuple[str, str]]) -> None:
    """What the run must also show: every payout reconciled (refunds in them too), every supplier
    order once at its supplier, and 'charged for a cancelled order' for exactly the orders
    cancelled after they shipped."""
    hub = world.hub
    for server in world.suppliers.values():
        assert server.stats()["duplicates"] == []
    with hub.db.transaction() as session:
        found = anomalies.find(session, tolerance_pct=hub.settings.supplier_cost_tolerance_pct,
                               grace=timedelta(minutes=hub.settings.unsent_order_grace_minutes),
                               reporting_currency=hub.settings.reporting_currency)
    assert [a for a in found if a["kind"] == "payout_mismatch"] == []
    charged = {ids[a["order_id"]] for a in found if a["kind"] == "charged_for_cancelled_order"}
    # From the shops' and suppliers' records: cancelled or wholly refunded, yet a supplier kept a charge.
    kept = {key for key, money in expected.items() if money["supplier_cost"]}
    refunded = {(domain, str(o.id)) for domain, shop in world.shops.items() for o in shop.data.orders
                if o.cancelled_at is not None or o.financial_status == "REFUNDED"}
    assert charged == kept & refunded
    assert world.cancelled_after_shipping <= charged, "orders cancelled after they shipped are listed"
    if world.orders >= 1000:  # a small world may draw none
        assert world.cancelled_after_shipping, "the run cancelled some orders after they shipped"
    totals = {k: sum((v[k] for v in expected.values()), Decimal(0)) for k in ("refunds", "supplier_cost")}
    assert totals["refunds"] > 0 and totals["supplier_cost"] > 0
