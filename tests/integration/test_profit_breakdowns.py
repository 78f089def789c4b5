"""Profit by product, supplier, store, order and period on both backends: every breakdown adds up
to the same total to the cent, no row has an empty key, and an order whose costs are not known
yet is incomplete, never a 100% margin."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import LedgerEntry, LedgerPart, LedgerPartDaily, LedgerSupplierDaily, Store
from hub.domain.ledger import PROFIT_BUCKETS
from hub.services import fx
from hub.services.allocation import reallocate_all
from hub.services.ledger import (
    drop_supplier_estimate,
    record_supplier_charge,
    record_supplier_estimate,
    record_transactions,
)
from hub.services.profit import COLUMNS, GROUPS, profit
from tests import catalogue_builders as cb
from tests.factories import T0
from tests.integration.money_helpers import D, known_order, route_lines, supplier_order, txn

DAY = T0.date().isoformat()


def _second_store(hub: Hub) -> int:
    with hub.db.transaction() as session:
        row = Store(platform="shopify", name="Euro Shop", shop_domain="euro.myshopify.com", currency="EUR",
                    api_version="2026-10", settings={})
        session.add(row)
        session.flush()
        return row.id


def _line_ids(hub: Hub, order_id: int) -> list[int]:
    from hub.db.models import OrderLine

    with hub.db.transaction() as session:
        return list(session.execute(select(OrderLine.id).where(OrderLine.order_id == order_id)
                                    .order_by(OrderLine.id)).scalars())


@pytest.fixture
def world(hub: Hub) -> dict[str, int]:
    """Three orders on two stores: one routed to two suppliers (one charged, one estimated) with a
    fee and a refund; one never routed; one in EUR whose mug line two suppliers split by quantity."""
    store, alpha, beta = cb.store(hub.db), cb.supplier(hub.db, "alpha"), cb.supplier(hub.db, "beta")
    euro = _second_store(hub)
    first = known_order(hub, store, "5001")
    mug, cap = _line_ids(hub, first)
    so_a = supplier_order(hub, first, alpha, cost="10.00", shipping="3.00")
    so_b = supplier_order(hub, first, beta, cost="8.00", shipping="2.00")
    route_lines(hub, so_a, line_ids=[mug])
    route_lines(hub, so_b, line_ids=[cap])
    unrouted = known_order(hub, store, "5002")
    third = known_order(hub, euro, "7001", currency="EUR")
    mug3, _cap3 = _line_ids(hub, third)
    so_c = supplier_order(hub, third, alpha, cost="4.00", shipping="1.00", currency="EUR")
    so_d = supplier_order(hub, third, beta, cost="9.00", shipping="2.00", currency="EUR")
    route_lines(hub, so_c, line_ids=[mug3], quantity=1)
    route_lines(hub, so_d, quantity=1)
    fx.import_csv(hub.db, io.BytesIO(f"day,base,quote,rate\n{DAY},EUR,USD,1.1\n".encode()), "t")
    with hub.db.transaction() as session:
        record_transactions(session, first, [txn("11", "sale", "50.00", fee="1.75"),
                                             txn("12", "refund", "7.33", fee="0.01")])
        record_supplier_charge(session, so_a, D("10.40"), D("2.95"), "USD")
        record_supplier_estimate(session, so_b)
        record_transactions(session, unrouted, [txn("21", "sale", "50.00", fee="1.51")])
        record_transactions(session, third, [txn("31", "sale", "50.00", fee="1.03", currency="EUR")])
        record_supplier_charge(session, so_c, D("4.00"), D("1.00"), "EUR")
        record_supplier_charge(session, so_d, D("9.00"), D("2.00"), "EUR")
    return {"first": first, "unrouted": unrouted, "third": third, "so_b": so_b}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Decimal]:
    return {name: sum((Decimal(r[name]) for r in rows), Decimal(0)) for name in (*COLUMNS, "profit")}


def test_every_breakdown_adds_up_to_the_period_total_to_the_cent(hub: Hub, world: dict[str, int]) -> None:
    days = profit(hub.db, DAY, DAY, "day", None, "USD")
    total = _totals(days)
    assert total["revenue"] > 0 and total["supplier_cost"] > 0
    for group in GROUPS:
        rows = profit(hub.db, DAY, DAY, group, None, "USD")
        assert _totals(rows) == total, group
        keys = [r["key"] for r in rows]
        assert all(keys) and len(set(keys)) == len(keys), group
        assert all(r["label"] for r in rows), group
    # And on each store alone.
    for store_row in profit(hub.db, DAY, DAY, "store", None, "USD"):
        store_id = int(store_row["ref"])
        for group in ("product", "supplier", "order"):
            rows = profit(hub.db, DAY, DAY, group, None, "USD", store_id=store_id)
            assert _totals(rows)["profit"] == Decimal(store_row["profit"]), group


def test_product_rows_carry_order_facts_by_share_of_goods_revenue(hub: Hub, world: dict[str, int]) -> None:
    # Only the first order: its mug sold 27.00 of 47.00 goods; discount -2.00 and shipping 4.90
    # split 27:20 with the largest remainder: -1.15 / -0.85 and 2.81 / 2.09.
    store = int(next(r["ref"] for r in profit(hub.db, DAY, DAY, "store", None, "USD") if r["key"] == "Shop"))
    rows = {r["key"]: r for r in profit(hub.db, DAY, DAY, "product", None, "USD", store_id=store)}
    assert set(rows) == {"MUG", "CAP"}
    assert rows["MUG"]["label"] == "Mug" and rows["CAP"]["label"] == "Cap"
    assert Decimal(rows["MUG"]["revenue"]) + Decimal(rows["CAP"]["revenue"]) == 2 * D("49.90")
    # Supplier costs of the first order land on the line its supplier order covers.
    assert rows["MUG"]["supplier_cost"] == "10.40" and rows["CAP"]["supplier_cost"] == "8.00"
    # The unrouted order's lines make both products incomplete; they have costs, so a margin.
    assert rows["MUG"]["incomplete"] is True and rows["MUG"]["margin"] is not None


def test_supplier_rows_are_named_and_revenue_follows_who_fulfils(hub: Hub, world: dict[str, int]) -> None:
    rows = {r["key"]: r for r in profit(hub.db, DAY, DAY, "supplier", None, "USD")}
    assert set(rows) == {"alpha", "beta", "(no supplier: not routed)"}
    assert rows["alpha"]["label"] == "Alpha"
    assert Decimal(rows["alpha"]["revenue"]) > 0 and Decimal(rows["beta"]["revenue"]) > 0
    not_routed = rows["(no supplier: not routed)"]
    assert not_routed["revenue"] == "49.90" and not_routed["supplier_cost"] == "0.00"
    assert not_routed["incomplete"] is True and not_routed["margin"] is None
    assert rows["beta"]["estimated"] is True and rows["alpha"]["estimated"] is False
    assert rows["alpha"]["margin"] is not None


def test_an_order_without_supplier_cost_is_incomplete_not_a_full_margin(hub: Hub, world: dict[str, int]) -> None:
    rows = {r["ref"]: r for r in profit(hub.db, DAY, DAY, "order", None, "USD")}
    unrouted = rows[str(world["unrouted"])]
    assert unrouted["key"] == "#5002" and unrouted["incomplete"] is True and unrouted["margin"] is None
    first = rows[str(world["first"])]
    assert first["incomplete"] is False and first["estimated"] is True and first["margin"] is not None
    # The supplier drops its order: the estimate leaves, the order becomes incomplete.
    with hub.db.transaction() as session:
        drop_supplier_estimate(session, world["so_b"])
    again = {r["ref"]: r for r in profit(hub.db, DAY, DAY, "order", None, "USD")}[str(world["first"])]
    assert again["incomplete"] is True and again["margin"] is None and again["estimated"] is False


def test_parts_and_daily_summary_equal_the_ledger_after_reallocation(hub: Hub, world: dict[str, int]) -> None:
    def sums() -> tuple[dict[Any, Decimal], dict[Any, Decimal], dict[Any, Decimal]]:
        with hub.db.transaction() as session:
            entries = {(k, c): Decimal(v) for k, c, v in session.execute(
                select(LedgerEntry.kind, LedgerEntry.currency, func.sum(LedgerEntry.amount))
                .group_by(LedgerEntry.kind, LedgerEntry.currency))}
            parts = {(k, c): Decimal(v) for k, c, v in session.execute(
                select(LedgerPart.kind, LedgerPart.currency, func.sum(LedgerPart.amount))
                .group_by(LedgerPart.kind, LedgerPart.currency))}
            daily: dict[Any, Decimal] = {}
            for row in session.execute(select(LedgerPartDaily)).scalars():
                for name in PROFIT_BUCKETS:
                    daily[(name, row.currency)] = daily.get((name, row.currency), Decimal(0)) + getattr(row, name)
            small: dict[Any, Decimal] = {}
            for line in session.execute(select(LedgerSupplierDaily)).scalars():
                for name in PROFIT_BUCKETS:
                    small[(name, line.currency)] = small.get((name, line.currency), Decimal(0)) + getattr(line, name)
            assert small == daily  # the summary without products holds the same money
            return entries, parts, daily

    def by_bucket(entries: dict[Any, Decimal]) -> dict[Any, Decimal]:
        out: dict[Any, Decimal] = {}
        for (kind, currency), amount in entries.items():
            for name, kinds in PROFIT_BUCKETS.items():
                if kind in kinds:
                    out[(name, currency)] = out.get((name, currency), Decimal(0)) + amount
        return out

    entries, parts, daily = sums()
    assert parts == entries
    assert {k: v for k, v in daily.items() if v} == {k: v for k, v in by_bucket(entries).items() if v}
    with hub.db.transaction() as session:
        reallocate_all(session)
    assert sums() == (entries, parts, daily)


def test_rows_in_another_currency_convert_per_day(hub: Hub, world: dict[str, int]) -> None:
    euro = {r["key"]: r for r in profit(hub.db, DAY, DAY, "store", None, "USD")}["Euro Shop"]
    assert euro["revenue"] == str((D("49.90") * D("1.1")).quantize(D("0.01")))
    later = (T0 + timedelta(days=1)).date().isoformat()
    assert profit(hub.db, later, later, "product", None, "USD") == []



def test_a_currency_without_rates_is_flagged_never_guessed(hub: Hub, world: dict[str, int]) -> None:
    for group in ("product", "supplier", "store", "day"):
        rows = profit(hub.db, DAY, DAY, group, "GBP", "USD")
        assert rows and all(r["fx_missing"] and r["revenue"] == "0.00" for r in rows), group
        assert all(f"USD {DAY}" in r["fx_missing_for"] or f"EUR {DAY}" in r["fx_missing_for"] for r in rows)
