"""Money and time columns keep their rules on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, insert, select, update

from hub.db.engine import Database
from hub.db.models import FxRate, LedgerEntry


def _entries(count: int, amount: str) -> list[dict[str, object]]:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {"source_ref": f"t:{i}", "kind": "sale", "amount": Decimal(amount), "currency": "USD",
         "occurred_at": when, "created_at": when, "estimated": False}
        for i in range(count)
    ]


def test_twenty_thousand_cents_sum_exactly(db: Database) -> None:
    # (a float sum of 0.01 drifts after a few dozen terms; 20,000 rows show the column does not)
    with db.transaction() as session:
        session.execute(insert(LedgerEntry), _entries(20_000, "0.01"))
    with db.transaction() as session:
        total = session.execute(select(func.sum(LedgerEntry.amount))).scalar_one()
    assert isinstance(total, Decimal)
    assert total == Decimal("200.00")


def test_amounts_round_trip_exactly_and_refuse_floats(db: Database) -> None:
    values = ["0.0001", "-12345678901.2345", "19.99", "0"]
    with db.transaction() as session:
        session.execute(insert(LedgerEntry), [
            {**row, "amount": Decimal(v)} for row, v in zip(_entries(len(values), "0"), values, strict=True)
        ])
    with db.transaction() as session:
        stored = session.execute(select(LedgerEntry.amount).order_by(LedgerEntry.id)).scalars().all()
    assert stored == [Decimal(v) for v in values]

    with pytest.raises(Exception, match="float"), db.transaction() as session:
        session.execute(insert(LedgerEntry), [{**_entries(1, "0")[0], "amount": 0.1}])
    with pytest.raises(Exception, match="decimals"), db.transaction() as session:
        session.execute(insert(LedgerEntry), [{**_entries(1, "0")[0], "amount": Decimal("0.00001")}])


def test_fx_rate_keeps_ten_decimals(db: Database) -> None:
    with db.transaction() as session:
        session.add(FxRate(day=date(2026, 1, 1), base="EUR", quote="CZK", rate=Decimal("24.1234567891")))
    with db.transaction() as session:
        assert session.execute(select(FxRate.rate)).scalar_one() == Decimal("24.1234567891")


def test_times_are_stored_as_utc_and_come_back_aware(db: Database) -> None:
    prague = timezone(timedelta(hours=1))
    local = datetime(2026, 3, 1, 12, 30, tzinfo=prague)
    with db.transaction() as session:
        session.execute(insert(LedgerEntry), [{**_entries(1, "1")[0], "occurred_at": local}])
    with db.transaction() as session:
        stored = session.execute(select(LedgerEntry.occurred_at)).scalar_one()
        later = session.execute(
            select(func.count()).where(LedgerEntry.occurred_at > datetime(2026, 3, 1, 11, 0, tzinfo=UTC))
        ).scalar_one()
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert later == 1

    with pytest.raises(Exception, match="naive"), db.transaction() as session:
        session.execute(insert(LedgerEntry), [{**_entries(1, "1")[0], "source_ref": "n",
                                               "occurred_at": datetime(2026, 1, 1)}])


def test_daily_summary_follows_statements_of_many_rows_on_one_day(db: Database) -> None:
    """One statement moving many rows of one day, store and kind: the summary's upsert must
    group them (PostgreSQL's statement trigger) and stay equal to the entries."""
    from hub.db.models import LedgerDaily

    def summary() -> dict[str, Decimal]:
        with db.transaction() as session:
            rows = session.execute(select(LedgerDaily.kind, func.sum(LedgerDaily.amount))
                                   .group_by(LedgerDaily.kind)).all()
        return {kind: amount for kind, amount in rows if amount}

    with db.transaction() as session:
        session.execute(insert(LedgerEntry), _entries(2_500, "0.07"))
    assert summary() == {"sale": Decimal("175.00")}
    with db.transaction() as session:
        session.execute(update(LedgerEntry).where(LedgerEntry.source_ref.like("t:1%"))
                        .values(amount=Decimal("0.10")))  # 1,111 rows: t:1, t:10…, t:100…, t:1000…
        session.execute(update(LedgerEntry).where(LedgerEntry.source_ref.like("t:2%")).values(kind="refund"))
    assert summary() == {"sale": Decimal("175.00") + Decimal("0.03") * 1_111 - Decimal("0.07") * 611,
                         "refund": Decimal("0.07") * 611}
    with db.transaction() as session:
        session.execute(delete(LedgerEntry).where(LedgerEntry.kind == "refund"))
        session.execute(delete(LedgerEntry).where(LedgerEntry.amount == Decimal("0.10")))
    assert summary() == {"sale": Decimal("0.07") * (2_500 - 1_111 - 611)}
