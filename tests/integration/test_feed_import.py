"""The feed importer on SQLite and PostgreSQL: modes, exact changed counts, guard, rejects."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import FeedReject, FeedRun, Offer
from hub.errors import Conflict, UserError
from hub.services import feeds, suppliers
from tests.conftest import shared_path


def csv_feed(rows: dict[str, tuple[int, str]], extra: str = "") -> io.BytesIO:
    body = "sku,qty,price,shipping,country\n" + "".join(
        f"{sku},{qty},{price},1.50,GB\n" for sku, (qty, price) in rows.items()) + extra
    return io.BytesIO(body.encode())


def offers(hub: Hub) -> dict[str, tuple[int, Decimal, bool]]:
    with hub.db.transaction() as session:
        return {o.supplier_sku: (o.stock, o.cost, o.changed) for o in session.execute(select(Offer)).scalars()}


def clear_changed(hub: Hub) -> None:
    with hub.db.transaction() as session:
        for offer in session.execute(select(Offer)).scalars():
            offer.changed = False


@pytest.fixture
def acme(hub: Hub) -> str:
    suppliers.add_supplier(hub.db, "acme", "Acme", "USD")
    return "acme"


BASE = {f"S{i:03d}": (i % 5 + 1, f"{i}.25") for i in range(100)}


def test_first_import_inserts_everything_with_exact_money(hub: Hub, acme: str) -> None:
    summary = feeds.import_feed(hub, acme, csv_feed(BASE))
    assert (summary.status, summary.rows, summary.accepted, summary.rejected, summary.changed) == \
        ("applied", 100, 100, 0, 100)
    stored = offers(hub)
    assert stored["S042"] == (3, Decimal("42.2500"), True)
    with hub.db.transaction() as session:
        offer = session.execute(select(Offer).where(Offer.supplier_sku == "S042")).scalar_one()
        assert (offer.shipping_cost, offer.currency, offer.countries) == (Decimal("1.5000"), "USD", ["GB"])
        assert offer.last_feed_run_id == summary.feed_run_id
    unchanged = feeds.import_feed(hub, acme, csv_feed(BASE), mode="delta")
    with hub.db.transaction() as session:  # an unchanged row is not rewritten
        offer = session.execute(select(Offer).where(Offer.supplier_sku == "S042")).scalar_one()
        assert offer.last_feed_run_id == summary.feed_run_id != unchanged.feed_run_id


def test_reimport_reports_exactly_the_changed_rows(hub: Hub, acme: str) -> None:
    feeds.import_feed(hub, acme, csv_feed(BASE))
    clear_changed(hub)
    again = feeds.import_feed(hub, acme, csv_feed(BASE))
    assert (again.status, again.changed) == ("applied", 0)
    assert not any(changed for _, _, changed in offers(hub).values())

    edited = dict(BASE)
    edited["S001"] = (99, BASE["S001"][1])  # stock
    edited["S002"] = (BASE["S002"][0], "7.77")  # price
    edited["S003"] = (BASE["S003"][0], "3.2500")  # same amount, other spelling: not a change
    summary = feeds.import_feed(hub, acme, csv_feed(edited))
    assert summary.changed == 2
    assert sorted(sku for sku, (_, _, changed) in offers(hub).items() if changed) == ["S001", "S002"]


def test_full_mode_zeroes_missing_offers_and_delta_does_not(hub: Hub, acme: str) -> None:
    feeds.import_feed(hub, acme, csv_feed(BASE))
    clear_changed(hub)
    partial = {sku: v for sku, v in BASE.items() if sku not in ("S010", "S011")}
    delta = feeds.import_feed(hub, acme, csv_feed({"S010": (50, "10.25")}), mode="delta")
    assert (delta.status, delta.changed) == ("applied", 1)
    assert offers(hub)["S011"][0] == BASE["S011"][0]

    clear_changed(hub)
    full = feeds.import_feed(hub, acme, csv_feed(partial))
    assert (full.status, full.accepted, full.changed) == ("applied", 98, 2)
    stored = offers(hub)
    assert stored["S010"] == (0, Decimal("10.2500"), True) and stored["S011"][0] == 0
    assert sum(changed for _, _, changed in stored.values()) == 2


def test_full_feed_of_the_same_size_with_one_sku_swapped_zeroes_the_dropped_one(hub: Hub, acme: str) -> None:
    feeds.import_feed(hub, acme, csv_feed(BASE))
    clear_changed(hub)
    same = feeds.import_feed(hub, acme, csv_feed(BASE, extra="S001,9,1.00,1.50,GB\n"))  # lists all (+ a repeat)
    assert (same.accepted, same.rejected, same.changed) == (100, 1, 0)
    swapped = {sku: v for sku, v in BASE.items() if sku != "S007"} | {"NEW": (4, "2.00")}
    summary = feeds.import_feed(hub, acme, csv_feed(swapped))  # as many rows as offers, one of them new
    assert (summary.accepted, summary.changed) == (100, 2)
    stored = offers(hub)
    assert stored["S007"][0] == 0 and stored["NEW"] == (4, Decimal("2.0000"), True)


def test_truncated_full_feed_is_held_then_confirm_applies(hub: Hub, acme: str) -> None:
    feeds.import_feed(hub, acme, csv_feed(BASE))
    before = offers(hub)
    small = {sku: (77, price) for sku, (_, price) in list(BASE.items())[:30]}
    held = feeds.import_feed(hub, acme, csv_feed(small, extra="bad,x,1.00\n"))
    assert (held.status, held.accepted, held.rejected, held.changed) == ("suspect", 30, 1, 0)
    assert offers(hub) == before  # nothing applied
    with hub.db.transaction() as session:
        run = session.get(FeedRun, held.feed_run_id)
        assert run is not None and run.staged_path and Path(run.staged_path).exists()
        staged = Path(run.staged_path)

    confirmed = feeds.confirm_run(hub, held.feed_run_id)
    assert confirmed.status == "applied" and confirmed.changed == 100  # 30 restocked + 70 zeroed
    stored = offers(hub)
    assert stored["S000"][0] == 77 and stored["S099"][0] == 0
    assert not staged.exists()
    with pytest.raises(Conflict):
        feeds.confirm_run(hub, held.feed_run_id)


def test_force_applies_and_discard_drops(hub: Hub, acme: str) -> None:
    feeds.import_feed(hub, acme, csv_feed(BASE))
    small = {"S000": (5, "1.00")}
    held = feeds.import_feed(hub, acme, csv_feed(small))
    assert held.status == "suspect"
    discarded = feeds.discard_run(hub, held.feed_run_id)
    assert discarded.status == "discarded" and offers(hub)["S000"][1] == Decimal("0.2500")
    forced = feeds.import_feed(hub, acme, csv_feed(small), force=True)
    assert forced.status == "applied"
    assert offers(hub)["S000"] == (5, Decimal("1.0000"), True) and offers(hub)["S050"][0] == 0


def test_guard_passes_midway_and_applies_everything(hub: Hub, acme: str) -> None:
    feeds.import_feed(hub, acme, csv_feed(BASE))
    clear_changed(hub)
    bigger = {**{sku: (1, p) for sku, (_, p) in BASE.items()}, **{f"N{i}": (2, "3.00") for i in range(20)}}
    summary = feeds.import_feed(hub, acme, csv_feed(bigger))
    assert (summary.status, summary.accepted) == ("applied", 120)
    stored = offers(hub)
    assert len(stored) == 120 and stored["N19"][0] == 2
    assert summary.changed == sum(changed for _, _, changed in stored.values())


def test_rejects_are_stored_with_line_field_reason(hub: Hub, acme: str) -> None:
    extra = ",3,1.00,,\nA1,4,2.00,,\nB2,-1,1.00,,\nC3,2,abc,,\n" + "L" * 300 + ",1,1.00,,\n"
    feed = csv_feed({"A1": (1, "2.00")}, extra=extra)
    summary = feeds.import_feed(hub, acme, feed, mode="delta")
    assert (summary.accepted, summary.rejected) == (1, 5)
    with hub.db.transaction() as session:
        rejects = session.execute(select(FeedReject).order_by(FeedReject.line)).scalars().all()
    got = [(r.line, r.field) for r in rejects]
    assert got == [(3, "sku"), (4, "sku"), (5, "quantity"), (6, "cost"), (7, "sku")]
    assert "repeated" in rejects[1].reason and rejects[1].sku == "A1"
    assert [e["line"] for e in summary.errors] == [3, 4, 5, 6, 7]


def test_unreadable_feed_fails_the_run_with_a_user_error(hub: Hub, acme: str) -> None:
    with pytest.raises(UserError, match="feed run"):
        feeds.import_feed(hub, acme, io.BytesIO(b"\x00\x01\x02binary" * 100))
    with hub.db.transaction() as session:
        assert session.execute(select(FeedRun.status)).scalar_one() == "failed"
    with pytest.raises(UserError, match="unknown mode"):
        feeds.import_feed(hub, acme, csv_feed(BASE), mode="half")


def test_feed_that_ends_early_applies_rows_but_zeroes_nothing(hub: Hub, acme: str) -> None:
    suppliers.add_supplier(hub.db, "gmc", "GMC", "CZK")
    feed = shared_path("feeds", "gmc-importpc-cz.xml").read_bytes()
    assert feeds.import_feed(hub, "gmc", io.BytesIO(feed)).status == "applied"
    before = offers(hub)
    cut = feed[: len(feed) * 3 // 4]
    summary = feeds.import_feed(hub, "gmc", io.BytesIO(cut))
    assert summary.status == "applied" and summary.message and "ended early" in summary.message
    assert summary.errors[-1]["field"] == "feed" and 600 < summary.accepted < 1254
    assert summary.changed == 0  # same rows as before, and nothing zeroed
    assert offers(hub) == before


def test_title_change_refreshes_the_title_without_flagging_a_change(hub: Hub, acme: str) -> None:
    first = feeds.import_feed(hub, acme, io.BytesIO(b"sku,title,qty,price\nT1,Old name,1,2.00\nT2,Same,1,2.00\n"))
    clear_changed(hub)
    second = feeds.import_feed(hub, acme, io.BytesIO(b"sku,title,qty,price\nT1,New name,1,2.00\nT2,Same,1,2.00\n"))
    assert (first.changed, second.changed) == (2, 0)
    with hub.db.transaction() as session:
        titles = {sku: title for sku, title in session.execute(select(Offer.supplier_sku, Offer.title))}
    assert titles == {"T1": "New name", "T2": "Same"}
    assert not any(changed for _, _, changed in offers(hub).values())


def test_a_second_import_of_the_same_supplier_waits_for_the_first(hub: Hub, acme: str) -> None:
    first = feeds.import_feed(hub, acme, csv_feed(BASE))
    with hub.db.transaction() as session:
        supplier_id = session.get(FeedRun, first.feed_run_id).supplier_id  # type: ignore[union-attr]
        session.add(FeedRun(supplier_id=supplier_id, source="push", mode="full", format="csv", status="running"))
    with pytest.raises(Conflict, match="still running"):
        feeds.import_feed(hub, acme, csv_feed(BASE))
    with hub.db.transaction() as session:
        session.execute(FeedRun.__table__.update().where(FeedRun.id != first.feed_run_id)
                        .values(started_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert feeds.import_feed(hub, acme, csv_feed(BASE)).status == "applied"  # a stale run is ignored
