"""Days of cover computed in SQL, on SQLite and PostgreSQL, against figures worked out by hand.

now = 2026-11-30 12:00 UTC; windows are the 7 and 30 days before it.

listing A: offer 20 in stock, 6 held → 14 available. Sold 4 three days ago (by variant), 6 ten
  days ago (a line without variant, matched by SKU), 100 forty days ago (outside), 7 in another
  store (not ours). sold 7 d = 4, 30 d = 10; cover = min(14·7/4, 14·30/10) = min(24.5, 42) = 24.5.
listing B: bundle of 2 × offer B1 (10 → 5 sets) with offer B2 (3) → 3; its fallback B3 is of an
  inactive supplier → 0; available 3. Sold 2 + 3 in the last days, plus 1 on a line whose SKU
  says A but whose variant is B's (variant wins); 50 on a cancelled order do not count.
  sold 7 d = 6, 30 d = 6; cover = min(3·7/6, 3·30/6) = min(3.5, 15) = 3.5 → running out (< 7).
listing C: offer 100 + fallback offer with more held than stock (0) → 100. Sold 90 twenty days
  ago: rate 3 a day (30-day rate, the larger); cover 100·30/90 = 33.3; running out from 34 days.
listing D: mapped, never sold: no rate, never running out. listing E: sold but unmapped: not listed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy import select, update

from hub.bootstrap import Hub
from hub.db.models import AttentionItem, Offer, Order, OrderLine, Store, Supplier
from hub.services import stock_cover
from tests import catalogue_builders as cb

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_ids = count(1)


def _order(hub: Hub, store_id: int, days_ago: float, *lines: tuple[str | None, str, int],
           cancelled: bool = False) -> None:
    placed = NOW - timedelta(days=days_ago)
    number = next(_ids)
    with hub.db.transaction() as session:
        order = Order(store_id=store_id, external_id=f"o{number}", name=f"#{number}", currency="USD",
                      financial_status="paid", fulfillment_status="unfulfilled", subtotal_price=Decimal(0),
                      total_discounts=Decimal(0), total_shipping=Decimal(0), total_tax=Decimal(0),
                      total_price=Decimal(0), placed_at=placed, remote_updated_at=placed, fingerprint="x",
                      cancelled_at=placed if cancelled else None)
        session.add(order)
        session.flush()
        for i, (variant, sku, quantity) in enumerate(lines):
            session.add(OrderLine(order_id=order.id, external_id=f"l{i}", sku=sku, title=sku, variant_id=variant,
                                  quantity=quantity, unit_price=Decimal("10"), total_discount=Decimal(0)))


def _catalogue(hub: Hub) -> tuple[int, dict[str, int], dict[str, int]]:
    db = hub.db
    store = cb.store(db)
    with db.transaction() as session:
        other = Store(platform="shopify", name="Other", shop_domain="other.myshopify.com", currency="USD",
                      settings={})
        session.add(other)
        session.flush()
        other_store = other.id
    acme, idle = cb.supplier(db, "acme"), cb.supplier(db, "idle")
    with db.transaction() as session:
        session.execute(update(Supplier).where(Supplier.id == idle).values(active=False))
    offers = {name: cb.offer(db, acme if name != "B3" else idle, name, "5.00", stock=stock)
              for name, stock in (("A", 20), ("B1", 10), ("B2", 3), ("B3", 40), ("C", 100), ("C2", 10), ("D", 5))}
    with db.transaction() as session:
        session.execute(update(Offer).where(Offer.id == offers["A"]).values(reserved=6))
        session.execute(update(Offer).where(Offer.id == offers["C2"]).values(reserved=12))
    listings = {"A": cb.listing(db, store, "A", "va", offers["A"]),
                "C": cb.listing(db, store, "C", "vc", offers["C"], offers["C2"]),
                "D": cb.listing(db, store, "D", "vd", offers["D"]),
                "E": cb.listing(db, store, "E", "ve")}
    listings["B"] = cb.listing(db, store, "B", "vb")
    from hub.db.models import Mapping

    with db.transaction() as session:
        session.add_all([Mapping(listing_id=listings["B"], offer_id=offers["B1"], priority=0, quantity=2),
                         Mapping(listing_id=listings["B"], offer_id=offers["B2"], priority=0, quantity=1),
                         Mapping(listing_id=listings["B"], offer_id=offers["B3"], priority=1, quantity=1)])
    cb.listing(hub.db, other_store, "A", "va")
    _order(hub, store, 3, ("va", "A", 4))
    _order(hub, store, 10, (None, "A", 6), ("ve", "E", 9))
    _order(hub, store, 40, ("va", "A", 100))
    _order(hub, other_store, 1, ("va", "A", 7))
    _order(hub, store, 1, ("vb", "B", 2))
    _order(hub, store, 2, ("vb", "B", 3), ("vb", "A", 1))
    _order(hub, store, 1, ("vb", "B", 50), cancelled=True)
    _order(hub, store, 20, ("vc", "C", 90))
    return store, listings, offers


def test_days_of_cover_by_hand(hub: Hub) -> None:
    store, listings, _ = _catalogue(hub)
    with hub.db.read() as session:
        found = {c.listing_id: c for c in stock_cover.cover(session, store, NOW)}
    assert set(found) == {listings[n] for n in "ABCD"}  # E is not mapped
    a, b, c, d = (found[listings[n]] for n in "ABCD")
    assert (a.available, a.sold_7, a.sold_30, a.days, a.running_out) == (14, 4, 10, Decimal("24.5"), False)
    assert (b.available, b.sold_7, b.sold_30, b.days, b.running_out) == (3, 6, 6, Decimal("3.5"), True)
    assert b.view()["daily_rate"] == "0.86"  # 6 / 7, the larger rate
    assert (c.available, c.sold_7, c.sold_30, c.days, c.running_out) == (100, 0, 90, Decimal("33.3"), False)
    assert c.daily_rate == 3
    assert (d.available, d.sold_7, d.sold_30, d.days, d.running_out) == (5, 0, 0, None, False)
    with hub.db.read() as session:
        assert [x.listing_id for x in stock_cover.cover(session, store, NOW, days=34, only_running_out=True)] == [
            listings["A"], listings["C"], listings["B"]]  # 24.5, 33.3 and 3.5 days, in listing order
        assert [x.listing_id for x in stock_cover.cover(session, store, NOW, days=33, listing_ids=[listings["C"]])
                if x.running_out] == []
    with hub.db.read() as session:  # one page's listings: the same figures as the whole store's
        assert stock_cover.cover(session, store, NOW, listing_ids=[listings["B"], listings["E"]]) == [b]
    # Seen a week later, the 7-day window holds no sale and the 30-day one all but the oldest.
    with hub.db.read() as session:
        later = {x.listing_id: x for x in stock_cover.cover(session, store, NOW + timedelta(days=8))}
    assert (later[listings["A"]].sold_7, later[listings["A"]].sold_30) == (0, 10)


def test_the_api_reads_the_same_figures(hub: Hub) -> None:
    from fastapi.testclient import TestClient

    from hub.api.app import create_app
    from tests.api.conftest import AUTH

    store, listings, _ = _catalogue(hub)
    client = TestClient(create_app(hub))
    answer = client.get(f"/api/v1/stores/{store}/stock-cover", headers=AUTH)
    assert answer.status_code == 200 and len(answer.json()["listings"]) == 4  # every mapped listing, at the real clock
    assert client.get("/api/v1/stores/999/stock-cover", headers=AUTH).status_code == 404
    assert client.get(f"/api/v1/stores/{store}/stock-cover").status_code == 401
    with hub.db.read() as session:
        expected = [c.view() for c in stock_cover.cover(session, store, NOW, only_running_out=True)]
    assert expected == [{"listing_id": listings["B"], "sku": "B", "available": 3, "sold_7": 6, "sold_30": 6,
                         "daily_rate": "0.86", "days": "3.5", "running_out": True}]


def test_the_store_setting_and_the_attention_item_that_closes_itself(hub: Hub) -> None:
    store, listings, offers = _catalogue(hub)
    assert stock_cover.flag_running_out(hub, store, NOW) == {"running_out": 1, "flagged": 1, "recovered": 0}
    assert stock_cover.flag_running_out(hub, store, NOW) == {"running_out": 1, "flagged": 0, "recovered": 0}
    with hub.db.read() as session:
        item = session.execute(select(AttentionItem).where(AttentionItem.kind == "stock_running_out")).scalar_one()
    assert item.details["listing_id"] == listings["B"] and item.resolved_at is None
    assert item.reason == "B: stock for 3.5 days at 0.9 sold a day (3 available)"
    with hub.db.transaction() as session:
        row = session.get(Store, store)
        assert row is not None
        row.settings = {**row.settings, "stock_cover_days": 40}
    assert stock_cover.flag_running_out(hub, store, NOW)["running_out"] == 3  # A (24.5), B, C (33.3)
    with hub.db.transaction() as session:
        row = session.get(Store, store)
        assert row is not None
        row.settings = {**row.settings, "stock_cover_days": 7}
        session.execute(update(Offer).where(Offer.id.in_([offers["B1"], offers["B2"]])).values(stock=100))
    assert stock_cover.flag_running_out(hub, store, NOW) == {"running_out": 0, "flagged": 0, "recovered": 3}
    with hub.db.read() as session:
        assert session.execute(select(AttentionItem).where(AttentionItem.kind == "stock_running_out",
                                                           AttentionItem.resolved_at.is_(None))).first() is None
