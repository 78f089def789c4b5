"""Supplier scorecards on known data, figures worked out by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update

from hub.bootstrap import Hub
from hub.db.epoch import epoch_seconds
from hub.db.models import Supplier, SupplierOrder
from hub.domain.routing import LineDemand, Option, Part, Policy
from hub.services.routing_load import with_scores
from hub.services.scorecards import scorecards
from tests import catalogue_builders as cb
from tests.integration.test_routing import order_with

SINCE = datetime(2026, 3, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 31, tzinfo=UTC)
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
BASE = datetime(2026, 3, 10, tzinfo=UTC)
H = timedelta(hours=1)


def _orders(hub: Hub, order_id: int, supplier_id: int, rows: list[dict[str, Any]]) -> None:
    with hub.db.transaction() as session:
        for attempt, row in enumerate(rows, start=1):
            values: dict[str, Any] = {"created_at": BASE, "currency": "USD", "expected_cost": Decimal("1.00"),
                                      "place_attempts": 1, **row}
            if values.get("accepted_at") is None and "placed_at" in values:
                values["accepted_at"] = values["placed_at"]
            session.add(SupplierOrder(order_id=order_id, supplier_id=supplier_id, attempt=attempt,
                                      reference=f"R-{supplier_id}-{attempt}",
                                      idempotency_key=f"K-{supplier_id}-{attempt}",
                                      expected_shipping=Decimal(0), **values))


def _world(hub: Hub) -> dict[str, int]:
    store_id = cb.store(hub.db)
    alpha, beta, gamma = (cb.supplier(hub.db, code) for code in ("alpha", "beta", "gamma"))
    with hub.db.transaction() as session:
        session.execute(update(Supplier).where(Supplier.id == alpha).values(lead_time_days=2))
    order_id = order_with(hub, store_id, "S1", ("MUG", 1))
    sub_second = timedelta(microseconds=300_000)
    _orders(hub, order_id, alpha, [
        # shipped 10 h after placement (placed at .3 s, shipped at .9 s: whole seconds count)
        {"state": "delivered", "placed_at": BASE + sub_second, "shipped_at": BASE + 10 * H + 3 * sub_second,
         "expected_cost": Decimal("10.00")},
        {"state": "shipped", "placed_at": BASE, "shipped_at": BASE + 20 * H, "expected_cost": Decimal("20.00")},
        {"state": "shipped", "placed_at": BASE, "shipped_at": BASE + 30 * H, "expected_cost": Decimal("5.50")},
        # 60 h > the 48 h lead time: late
        {"state": "shipped", "placed_at": BASE, "shipped_at": BASE + 60 * H, "expected_cost": Decimal("4.50")},
        # not shipped, due 03-19 00:00, now is 03-20 12:00: late
        {"state": "accepted", "placed_at": datetime(2026, 3, 17, tzinfo=UTC), "expected_cost": Decimal("1.00")},
        # not shipped, due 03-21 12:00: not judged yet
        {"state": "accepted", "placed_at": datetime(2026, 3, 19, 12, tzinfo=UTC), "expected_cost": Decimal("2.00")},
        {"state": "failed", "failed_at": BASE},
        # cancelled after acceptance: accepted and cancelled, no cost, not judged
        {"state": "cancelled", "placed_at": BASE, "cancelled_at": BASE + H, "expected_cost": Decimal("99.00")},
        {"state": "cancelled", "place_attempts": 0, "cancelled_at": BASE},  # never sent
        {"state": "pending", "place_attempts": 0},
        {"state": "placing"},
        # outside the period
        {"state": "shipped", "created_at": SINCE - timedelta(days=9), "placed_at": SINCE - timedelta(days=9),
         "shipped_at": SINCE - timedelta(days=8), "expected_cost": Decimal("1000.00")},
        {"state": "shipped", "placed_at": BASE, "shipped_at": BASE + 40 * H, "currency": "EUR",
         "expected_cost": Decimal("7.25")},
        # until is exclusive
        {"state": "pending", "place_attempts": 0, "created_at": UNTIL},
    ])
    _orders(hub, order_id, beta, [
        {"state": "shipped", "placed_at": BASE, "shipped_at": BASE + timedelta(seconds=seconds)}
        for seconds in (28_800, 3_600, 14_400, 9_007)])
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def test_scorecards_of_known_supplier_orders(hub: Hub) -> None:
    ids = _world(hub)
    with hub.db.read() as session:
        cards = scorecards(session, SINCE, UNTIL, now=NOW)
    assert [card.code for card in cards] == ["alpha", "beta", "gamma"]
    alpha, beta, gamma = (card.view() for card in cards)
    assert alpha == {
        "supplier_id": ids["alpha"], "code": "alpha", "name": "Alpha", "lead_time_days": 2,
        "orders": 12, "sent": 10, "accepted": 8, "refused": 1, "cancelled": 1, "fill_rate": "0.8000",
        # durations 10, 20, 30, 40, 60 h: median at position 2; p90 at 3.6 = 40 + 0.6 × 20
        "shipped": 5, "median_hours": "30.00", "p90_hours": "52.00",
        "late": 2, "judged": 6, "late_share": "0.3333", "figure": "0.5334",  # 0.8 × (1 − 0.3333)
        "cost": {"EUR": "7.2500", "USD": "43.0000"},
    }
    # durations 1 h, 2 h 30 min 7 s, 4 h, 8 h: median (9,007 + 14,400) / 2 = 11,703.5 s = 3.2510 h;
    # p90 at position 2.7: 14,400 + 0.7 × 14,400 = 24,480 s = 6.80 h
    assert beta == {
        "supplier_id": ids["beta"], "code": "beta", "name": "Beta", "lead_time_days": 7,
        "orders": 4, "sent": 4, "accepted": 4, "refused": 0, "cancelled": 0, "fill_rate": "1.0000",
        "shipped": 4, "median_hours": "3.25", "p90_hours": "6.80",
        "late": 0, "judged": 4, "late_share": "0.0000", "figure": "1.0000", "cost": {"USD": "4.0000"},
    }
    assert gamma["orders"] == 0 and gamma["fill_rate"] is None and gamma["median_hours"] is None
    assert gamma["late_share"] is None and gamma["figure"] is None and gamma["cost"] == {}
    assert isinstance(cards[0].cost["USD"], Decimal)


def test_one_supplier_and_a_later_clock(hub: Hub) -> None:
    ids = _world(hub)
    with hub.db.read() as session:
        (card,) = scorecards(session, SINCE, UNTIL, ids["alpha"], now=datetime(2026, 3, 22, tzinfo=UTC))
    # the order placed 03-19 12:00 is now past its 48 h too
    assert (card.code, card.late, card.judged, str(card.late_share)) == ("alpha", 3, 7, "0.4286")
    with hub.db.read() as session:
        among = scorecards(session, SINCE, UNTIL, now=NOW, among=[ids["beta"], ids["gamma"]])
    assert [c.code for c in among] == ["beta", "gamma"] and among[0].median_hours == Decimal("3.25")


def test_percentiles_equal_postgresql_percentile_cont(hub: Hub) -> None:
    """On PostgreSQL, the window-function figures equal the built-in percentile_cont."""
    ids = _world(hub)
    if hub.db.dialect != "postgresql":
        return
    seconds = epoch_seconds(SupplierOrder.shipped_at) - epoch_seconds(SupplierOrder.placed_at)
    with hub.db.read() as session:
        cards = {card.supplier_id: card for card in scorecards(session, SINCE, UNTIL, now=NOW)}
        for supplier_id in (ids["alpha"], ids["beta"]):
            median, p90 = session.execute(
                select(func.percentile_cont(0.5).within_group(seconds), func.percentile_cont(0.9).within_group(seconds))
                .where(SupplierOrder.supplier_id == supplier_id, SupplierOrder.shipped_at.is_not(None),
                       SupplierOrder.created_at >= SINCE, SupplierOrder.created_at < UNTIL)).one()
            card = cards[supplier_id]
            assert card.median_hours == (Decimal(str(median)) / 3600).quantize(Decimal("0.01"))
            assert card.p90_hours == (Decimal(str(p90)) / 3600).quantize(Decimal("0.01"))


def test_routing_reads_the_figures_only_when_the_store_prefers_them(hub: Hub) -> None:
    ids = _world(hub)
    parts = [Part(i, supplier, 1, Decimal(5), Decimal(0), "USD", 10, frozenset(), 5, 100)
             for i, supplier in enumerate((ids["alpha"], ids["beta"], ids["gamma"]), start=1)]
    demand = LineDemand(1, 1, Decimal(50), "USD", tuple(Option(0, (p,)) for p in parts))
    with hub.db.read() as session:
        assert with_scores(session, Policy(), [demand], NOW).scores == {}
        scored = with_scores(session, Policy(prefer_scorecard=True), [demand], NOW)
    # the 30 days before NOW also hold alpha's order of 02-20 (shipped in a day): fill 9/11 × (1 − 2/7);
    # gamma has sent nothing: no figure
    assert scored.scores == {ids["alpha"]: Decimal("0.5844"), ids["beta"]: Decimal("1.0000")}
