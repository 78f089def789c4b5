"""Payouts against the orders they pay out, and orders paid but in no payout yet.

Per payout, its balance transactions are grouped by order and kind (charge, refund, chargeback,
adjustment, reserve) and set against the order's ledger facts in the payout's currency: what the
customer paid (sale, discount, shipping, tax), refunds, and the payment fees recorded for the
same storefront transaction. `hub.domain.payouts.check_payout` explains the difference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import LedgerEntry, Order, Payout, PayoutTransaction, Store
from hub.domain import ledger as L
from hub.domain.money import format_amount
from hub.domain.payouts import CHARGE, DISPUTE, REFUND, PayoutCheck, PayoutPart, check_payout, group_of
from hub.errors import NotFound

COLLECTED = (L.SALE, L.DISCOUNT, L.SHIPPING, L.TAX)
REFUNDED = (L.REFUND, L.REFUND_SHIPPING, L.REFUND_TAX)
PAID = ("paid", "partially_paid", "partially_refunded")
CHARGE_TYPES = ("charge", "sale", "payment")
DEFAULT_WAIT_DAYS = 7
MAX_PAGE = 200


@dataclass
class _Facts:
    """One order's ledger facts in one currency, as a payout would carry them (fees positive)."""

    collected: Decimal = Decimal(0)
    refunds: Decimal = Decimal(0)
    fees_total: Decimal = Decimal(0)
    fees_by_txn: dict[str, Decimal] = field(default_factory=dict)
    disputes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)


@dataclass(frozen=True)
class PayoutView:
    id: int
    external_id: str
    store_id: int
    store: str
    status: str
    issued_at: datetime | None
    transactions: int
    check: PayoutCheck
    parts: tuple[PayoutPart, ...] = ()

    def as_dict(self, *, detail: bool = False) -> dict[str, Any]:
        c, cur = self.check, self.check.currency
        out: dict[str, Any] = {
            "id": self.id, "external_id": self.external_id, "store_id": self.store_id, "store": self.store,
            "status": self.status, "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "currency": cur, "transactions": self.transactions, "expected": format_amount(c.expected, cur),
            "received": format_amount(c.received, cur), "difference": format_amount(c.difference, cur),
            "explained": list(c.summary), "matches": c.difference == 0 and not c.differences}
        if detail:
            out["differences"] = [{"cause": d.cause, "amount": format_amount(d.amount, cur), "words": d.words,
                                   "order_id": d.order_id, "order_name": d.order_name} for d in c.differences]
            out["orders"] = [{"group": p.group, "order_id": p.order_id, "order_name": p.order_name,
                              "count": p.count, "amount": format_amount(p.amount, cur),
                              "fee": format_amount(p.fee, cur), "net": format_amount(p.net, cur),
                              "expected": format_amount(p.expected, cur) if p.recorded_amount is not None else None}
                             for p in self.parts]
        return out


@dataclass(frozen=True)
class UnpaidOrder:
    order_id: int
    name: str
    store_id: int
    store: str
    placed_at: datetime
    total: Decimal
    currency: str
    days: int

    def as_dict(self) -> dict[str, Any]:
        return {"order_id": self.order_id, "name": self.name, "store_id": self.store_id, "store": self.store,
                "placed_at": self.placed_at.isoformat(), "total": format_amount(self.total, self.currency),
                "currency": self.currency, "days_waiting": self.days}


def _txn_of(source_ref: str, marker: str) -> str | None:
    """The storefront id in `txn:{store}:{id}:fee:{fee}` or `balance:{store}:{id}:fee`."""
    head, found, _ = source_ref.rpartition(marker)
    parts = head.split(":", 2)
    return parts[2] if found and len(parts) == 3 else None


def _facts(session: Session, order_ids: Iterable[int]) -> dict[tuple[int, str], _Facts]:
    ids = sorted(set(order_ids))
    out: dict[tuple[int, str], _Facts] = defaultdict(_Facts)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        total = func.sum(LedgerEntry.amount)  # keeps the Money type: an exact Decimal back
        for oid, kind, currency, amount in session.execute(  # sales and refunds summed in SQL
                select(LedgerEntry.order_id, LedgerEntry.kind, LedgerEntry.currency, total)
                .where(LedgerEntry.order_id.in_(chunk), LedgerEntry.kind.in_((*COLLECTED, *REFUNDED)))
                .group_by(LedgerEntry.order_id, LedgerEntry.kind, LedgerEntry.currency)):
            f = out[(oid or 0, currency)]
            if kind in COLLECTED:
                f.collected += amount
            else:
                f.refunds += amount
        for oid, kind, ref, amount, currency in session.execute(  # fees and chargebacks one by one
                select(LedgerEntry.order_id, LedgerEntry.kind, LedgerEntry.source_ref, LedgerEntry.amount,
                       LedgerEntry.currency)
                .where(LedgerEntry.order_id.in_(chunk), LedgerEntry.kind.in_((L.PAYMENT_FEE, L.CHARGEBACK)))):
            f = out[(oid or 0, currency)]
            if ref.startswith("balance:"):  # a chargeback booked from the payout itself, with its fee
                ext = _txn_of(ref, ":fee" if kind == L.PAYMENT_FEE else ":chargeback") or ""
                amt, fee = f.disputes.get(ext, (Decimal(0), Decimal(0)))
                f.disputes[ext] = (amt, fee - amount) if kind == L.PAYMENT_FEE else (amt + amount, fee)
            elif kind == L.PAYMENT_FEE:
                f.fees_total -= amount
                txn = _txn_of(ref, ":fee:")
                if txn:
                    f.fees_by_txn[txn] = f.fees_by_txn.get(txn, Decimal(0)) - amount
    return out


def _recorded(group: str, items: Sequence[PayoutTransaction], facts: _Facts | None,
              elsewhere: Decimal) -> tuple[Decimal | None, Decimal]:
    """What the hub recorded for these transactions: (amount, fee), or (None, 0) if nothing."""
    if facts is None:
        return None, Decimal(0)
    sources = [t.source_order_transaction_id for t in items if t.source_order_transaction_id]
    fees = sum((facts.fees_by_txn.get(s, Decimal(0)) for s in sources), Decimal(0))
    if group == CHARGE and facts.collected:
        return facts.collected - elsewhere, fees if sources else facts.fees_total
    if group == REFUND and facts.refunds:
        return facts.refunds - elsewhere, fees
    if group == DISPUTE:
        booked = [facts.disputes[t.external_id] for t in items if t.external_id in facts.disputes]
        if booked:
            return sum((a for a, _ in booked), Decimal(0)), sum((f for _, f in booked), Decimal(0))
    return None, Decimal(0)


def _views(session: Session, payouts: Sequence[tuple[Payout, str]]) -> list[PayoutView]:
    ids = [p.id for p, _ in payouts]
    txns = list(session.execute(select(PayoutTransaction).where(PayoutTransaction.payout_id.in_(ids))
                                .order_by(PayoutTransaction.id)).scalars()) if ids else []
    order_ids = {t.order_id for t in txns if t.order_id}
    names: dict[int, str] = {}
    for start in range(0, len(order_ids), 500):
        chunk = sorted(order_ids)[start:start + 500]
        names.update(session.execute(select(Order.id, Order.name).where(Order.id.in_(chunk))).all())
    facts = _facts(session, order_ids)
    # The same order's charges and refunds paid out in other payouts (partial captures, later refunds).
    others: dict[tuple[int, str], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    ordered = sorted(order_ids)
    for start in range(0, len(ordered), 500):
        for pid, oid, kind, amount in session.execute(select(
                PayoutTransaction.payout_id, PayoutTransaction.order_id, PayoutTransaction.type,
                PayoutTransaction.amount).where(PayoutTransaction.order_id.in_(ordered[start:start + 500]))):
            others[(oid or 0, group_of(kind))][pid or 0] += amount
    by_payout: dict[int, dict[tuple[int | None, str], list[PayoutTransaction]]] = defaultdict(lambda: defaultdict(list))
    for t in txns:
        by_payout[t.payout_id or 0][(t.order_id, group_of(t.type))].append(t)
    views = []
    for payout, store in payouts:
        groups = by_payout.get(payout.id, {})
        parts = []
        for (oid, group), items in groups.items():
            elsewhere = sum((v for pid, v in others.get((oid or 0, group), {}).items() if pid != payout.id),
                            Decimal(0))
            recorded, fee = _recorded(group, items, facts.get((oid, payout.currency)) if oid else None, elsewhere)
            parts.append(PayoutPart(group, sum((t.amount for t in items), Decimal(0)),
                                    sum((t.fee for t in items), Decimal(0)), recorded, fee, oid,
                                    names.get(oid) if oid else None, len(items)))
        views.append(PayoutView(payout.id, payout.external_id, payout.store_id, store, payout.status,
                                payout.issued_at, sum(p.count for p in parts),
                                check_payout(payout.net, payout.currency, parts), tuple(parts)))
    return views


def list_payouts(db: Database, *, store_id: int | None = None, limit: int = 50) -> list[PayoutView]:
    """Newest first, each checked against the orders it pays out."""
    query = (select(Payout, Store.name).join(Store, Store.id == Payout.store_id)
             .order_by(Payout.issued_at.desc(), Payout.id.desc()).limit(max(1, min(limit, MAX_PAGE))))
    if store_id is not None:
        query = query.where(Payout.store_id == store_id)
    with db.read() as session:
        return _views(session, [(p, name) for p, name in session.execute(query)])


def get_payout(db: Database, payout_id: int) -> PayoutView:
    with db.read() as session:
        row = session.execute(select(Payout, Store.name).join(Store, Store.id == Payout.store_id)
                              .where(Payout.id == payout_id)).first()
        if row is None:
            raise NotFound(f"payout {payout_id} not found")
        return _views(session, [row])[0]


def unpaid_orders(db: Database, *, wait_days: int = DEFAULT_WAIT_DAYS, now: datetime | None = None,
                  store_id: int | None = None, limit: int = MAX_PAGE) -> list[UnpaidOrder]:
    """Paid orders of stores that report payouts, placed more than `wait_days` ago and since the
    oldest money those payouts cover, with no charge in any payout: money expected, not received."""
    now = now or utcnow()
    seen = (select(Payout.store_id.label("store_id"),
                   func.min(func.coalesce(PayoutTransaction.transaction_date, Payout.issued_at)).label("since"))
            .join(PayoutTransaction, PayoutTransaction.payout_id == Payout.id)
            .group_by(Payout.store_id).subquery())
    paid_out = exists().where(PayoutTransaction.order_id == Order.id,
                              func.lower(PayoutTransaction.type).in_(CHARGE_TYPES))
    query = (select(Order.id, Order.name, Order.store_id, Store.name, Order.placed_at, Order.total_price,
                    Order.currency)
             .join(seen, and_(seen.c.store_id == Order.store_id, Order.placed_at >= seen.c.since))
             .join(Store, Store.id == Order.store_id)
             .where(Order.financial_status.in_(PAID), Order.cancelled_at.is_(None), Order.total_price > 0,
                    Order.placed_at < now - timedelta(days=wait_days), ~paid_out)
             .order_by(Order.placed_at, Order.id).limit(max(1, min(limit, MAX_PAGE))))
    if store_id is not None:
        query = query.where(Order.store_id == store_id)
    with db.read() as session:
        return [UnpaidOrder(oid, name, sid, store, placed, total, currency, (now - placed).days)
                for oid, name, sid, store, placed, total, currency in session.execute(query)]
