"""The ledger writer and profit on both backends: idempotency, estimate → actual, FX, to the cent."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from hub.bootstrap import Hub
from hub.services import fx
from hub.services.ledger import record_order, record_supplier_charge, record_supplier_estimate, record_transactions
from hub.services.orders import get_order
from hub.services.profit import profit
from tests import catalogue_builders as cb
from tests.integration.money_helpers import D, known_order, ledger, ledger_sum, route_lines, supplier_order, txn


def test_recording_an_order_twice_writes_the_same_rows(hub: Hub) -> None:
    store = cb.store(hub.db)
    order_id = known_order(hub, store)
    first = ledger(hub, order_id)
    with hub.db.transaction() as session:
        record_order(session, order_id)
        record_transactions(session, order_id, [txn("1", "sale", "50.00", fee="1.75")])
        record_transactions(session, order_id, [txn("1", "sale", "50.00", fee="1.75")])
    again = ledger(hub, order_id)
    assert {k: v for k, v in again.items() if not k.startswith("txn:")} == first
    assert len(again) == len(first) + 1  # one fee row, once
    kinds = sorted(kind for kind, *_ in first.values())
    assert kinds == ["discount", "sale", "sale", "shipping", "tax"]
    sales = sorted(amount for kind, amount, *_ in first.values() if kind == "sale")
    assert sales == [D("20.0000"), D("27.0000")]
    assert first[f"order:{order_id}:discount"][1] == D("-2.0000")


def test_actual_supplier_charge_replaces_the_estimate_without_doubling(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier, cost="12.00", shipping="3.00")
    with hub.db.transaction() as session:
        record_supplier_estimate(session, so)
        record_supplier_estimate(session, so)
    estimated = {k: v for k, v in ledger(hub, order_id).items() if k.startswith("supplier_order:")}
    assert sorted((v[1], v[3]) for v in estimated.values()) == [(D("-12"), True), (D("-3"), True)]
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("12.40"), D("2.95"), "USD")
        record_supplier_estimate(session, so)  # a late estimate must not come back
    actual = {k: v for k, v in ledger(hub, order_id).items() if k.startswith("supplier_order:")}
    assert sorted((v[1], v[3]) for v in actual.values()) == [(D("-12.40"), False), (D("-2.95"), False)]
    assert ledger_sum(hub, order_id) == D("49.90") - D("12.40") - D("2.95")


def test_profit_per_order_equals_a_hand_computation_to_the_cent(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier)
    route_lines(hub, so)
    with hub.db.transaction() as session:
        record_transactions(session, order_id, [txn("11", "sale", "50.00", fee="1.75"),
                                                txn("12", "refund", "7.33", fee="0.01")])
        record_supplier_charge(session, so, D("12.34"), D("3.21"), "USD")
    rows = profit(hub.db, "2026-11-01", "2026-11-01", "order", None, "USD")
    # revenue 27.00 + 20.00 - 2.00 + 4.90 = 49.90; refunds 7.33; fees 1.76; supplier 12.34 + 3.21.
    assert rows == [{"key": "#5001", "label": "#5001", "ref": str(order_id), "revenue": "49.90", "refunds": "7.33",
                     "fees": "1.76",
                     "supplier_cost": "12.34", "shipping_cost": "3.21", "fx": "0.00", "profit": "25.26",
                     "margin": "50.62", "currency": "USD", "incomplete": False, "estimated": False,
                     "fx_missing": False, "fx_missing_for": []}]
    day = profit(hub.db, "2026-10-01", "2026-11-30", "month", None, "USD")
    assert [(r["key"], r["profit"]) for r in day] == [("2026-11", "25.26")]
    week = profit(hub.db, "2026-11-01", "2026-11-01", "week", None, "USD")
    assert [r["key"] for r in week] == ["2026-W44"]  # 2026-11-01 is a Sunday: ISO week 44
    assert get_order(hub.db, order_id, "USD")["ledger"][0]["kind"] in {"sale", "discount", "shipping", "tax"}


def test_fx_uses_the_rate_of_the_order_day_and_flags_a_missing_rate(hub: Hub) -> None:
    store = cb.store(hub.db)
    order_id = known_order(hub, store, currency="EUR")
    missing = profit(hub.db, "2026-11-01", "2026-11-01", "order", "USD", "USD")
    assert missing[0]["fx_missing"] is True and missing[0]["fx_missing_for"] == ["EUR 2026-11-01"]
    assert missing[0]["revenue"] == "0.00"  # never guessed
    csv_text = ("day,base,quote,rate\n2026-10-30,EUR,USD,1.1000\n2026-11-02,EUR,USD,9\n"
                "2026-11-01,USD,EUR,oops\nnot-a-day,EUR,USD,1.2\n2026-11-01,XXQ,USD,1\n")
    result = fx.import_csv(hub.db, io.BytesIO(csv_text.encode()), "test.csv")
    assert result.written == 2 and [line for line, _ in result.rejects] == [4, 5, 6]
    again = fx.import_csv(hub.db, io.BytesIO(csv_text.encode()), "test.csv")
    assert again.written == 2
    rows = profit(hub.db, "2026-11-01", "2026-11-01", "order", "USD", "USD")
    assert rows[0]["fx_missing"] is False
    assert rows[0]["ref"] == str(order_id) and rows[0]["key"] == "#5001"
    assert rows[0]["revenue"] == "54.89"  # 49.90 EUR × 1.1 (rate of 10-30, the latest on or before 11-01)
    eur = profit(hub.db, "2026-11-01", "2026-11-01", "day", "EUR", "USD")
    assert eur[0]["revenue"] == "49.90" and eur[0]["key"] == date(2026, 11, 1).isoformat()


def test_supplier_charge_in_another_currency_books_the_fx_difference(hub: Hub) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier, cost="10.00", shipping="2.00")
    fx.import_csv(hub.db, io.BytesIO(b"date,base,quote,rate\n2026-11-01,EUR,USD,1.25\n"), "t")
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("9.00"), D("1.00"), "EUR")  # 10 EUR = 12.50 USD
    rows = profit(hub.db, "2026-11-01", "2026-11-01", "order", None, "USD")[0]
    assert (rows["supplier_cost"], rows["shipping_cost"], rows["fx"]) == ("10.00", "2.00", "-0.50")
    assert ledger_sum(hub, order_id) == D("49.90") - D("12.50")
    assert Decimal(rows["profit"]) == D("37.40")


def test_daily_summary_follows_inserts_updates_and_deletes(hub: Hub) -> None:
    from sqlalchemy import func, select

    from hub.db.models import LedgerDaily, LedgerEntry

    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store)
    so = supplier_order(hub, order_id, supplier)
    with hub.db.transaction() as session:
        record_supplier_estimate(session, so)
        record_transactions(session, order_id, [txn("1", "sale", "50.00", fee="1.75")])
        record_transactions(session, order_id, [txn("1", "sale", "50.00", fee="1.80")])  # a changed fee
        record_supplier_charge(session, so, D("11.11"), D("2.22"), "USD")  # estimate rows deleted

    def grouped(model: type) -> dict[tuple[str, str], Decimal]:
        with hub.db.transaction() as session:
            rows = session.execute(select(model.kind, model.currency, func.sum(model.amount))  # type: ignore[attr-defined]
                                   .group_by(model.kind, model.currency)).all()  # type: ignore[attr-defined]
            return {(kind, cur): amount for kind, cur, amount in rows if amount}

    assert grouped(LedgerDaily) == grouped(LedgerEntry)
    assert grouped(LedgerDaily)[("payment_fee", "USD")] == D("-1.80")
    assert grouped(LedgerDaily)[("supplier_cost", "USD")] == D("-11.11")
