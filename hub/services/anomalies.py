"""Reconciliation anomalies: money facts that disagree, found by SQL and put on the attention list.

Each finder is one query; `find` runs them all and `publish` writes one attention item per cause
(the dedupe key keeps a recurring finding to one open item).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.engine import Database
from hub.db.models import AttentionItem, LedgerEntry, Order, Payout, SupplierOrder
from hub.domain import ledger as L
from hub.domain.lifecycle import SETTLED
from hub.domain.money import format_amount
from hub.domain.supplier_orders import SENT
from hub.services import attention
from hub.services.anomaly_words import in_words
from hub.services.attention import UNSENT_PAID_ORDER
from hub.services.fx import converter

logger = logging.getLogger(__name__)

KINDS = ("unsent_paid_order", "charged_for_cancelled_order", "supplier_charged_twice",
         "supplier_charge_mismatch", "payout_mismatch", "negative_margin", "fx_rate_missing")
PAID = ("paid", "partially_paid", "partially_refunded")
SENT_STATES = SENT
SETTLED_LIFECYCLES = sorted(value.value for value in SETTLED)
_PROFIT_KINDS = tuple(k for kinds in L.PROFIT_BUCKETS.values() for k in kinds)


def _anomaly(kind: str, reason: str, *, ref: str, store_id: int | None = None, order_id: int | None = None,
             supplier_order_id: int | None = None, **details: Any) -> dict[str, Any]:
    return {"kind": kind, "ref": ref, "reason": reason, "store_id": store_id, "order_id": order_id,
            "supplier_order_id": supplier_order_id, "details": details}


def _unsent(session: Session, now: datetime, grace: timedelta) -> list[dict[str, Any]]:
    """Paid orders no supplier has; an order that is settled (the store fulfilled it itself, it was
    cancelled or refunded) has nothing left to send, whatever its payment status says."""
    sent = exists().where(SupplierOrder.order_id == Order.id, SupplierOrder.state.in_(SENT_STATES))
    rows = session.execute(select(Order.id, Order.store_id, Order.name).where(
        Order.financial_status.in_(PAID), Order.cancelled_at.is_(None), Order.placed_at < now - grace, ~sent,
        Order.lifecycle.not_in(SETTLED_LIFECYCLES)).order_by(Order.id)).all()
    return [_anomaly("unsent_paid_order", f"paid order {name} was never sent to a supplier", ref=str(oid),
                     store_id=sid, order_id=oid) for oid, sid, name in rows]


def _actual_cost() -> Any:
    return and_(LedgerEntry.kind == L.SUPPLIER_COST, LedgerEntry.estimated.is_(False))


def _charged_for_cancelled(session: Session) -> list[dict[str, Any]]:
    """Cancelled or refunded orders whose actual supplier cost does not net to zero (a supplier
    that cancelled books its credit, which evens the charge out)."""
    charged = func.sum(LedgerEntry.amount)
    rows = session.execute(
        select(Order.id, Order.store_id, Order.name, Order.financial_status, Order.cancelled_at,
               LedgerEntry.currency, func.min(LedgerEntry.supplier_id), charged)
        .join(LedgerEntry, LedgerEntry.order_id == Order.id)
        .where((Order.cancelled_at.is_not(None)) | (Order.financial_status.in_(("refunded", "voided"))),
               _actual_cost())
        .group_by(Order.id, Order.store_id, Order.name, Order.financial_status, Order.cancelled_at,
                  LedgerEntry.currency)
        .having(charged != 0).order_by(Order.id, LedgerEntry.currency)).all()
    out: dict[int, dict[str, Any]] = {}
    for oid, sid, name, status, cancelled, currency, supplier, raw in rows:
        status = "cancelled" if cancelled is not None else status
        out.setdefault(oid, _anomaly(
            "charged_for_cancelled_order", f"a supplier charged for {name}, which is {status}", ref=str(oid),
            store_id=sid, order_id=oid, supplier_id=supplier, status=status, currency=currency,
            charged=str(-Decimal(raw or 0))))
    return list(out.values())


def _charged_twice(session: Session) -> list[dict[str, Any]]:
    """More than one actual charge for one order at one supplier: a second charge reference on a
    supplier order, or a retry attempt that was charged as well as the first."""
    count = func.count(LedgerEntry.id)
    rows = session.execute(select(LedgerEntry.order_id, LedgerEntry.supplier_id, LedgerEntry.store_id, count,
                                  func.max(LedgerEntry.supplier_order_id), func.min(LedgerEntry.currency),
                                  func.sum(LedgerEntry.amount))
                           .where(_actual_cost(), LedgerEntry.amount < 0)  # charges, not credits
                           .group_by(LedgerEntry.order_id, LedgerEntry.supplier_id,
                                                           LedgerEntry.store_id)
                           .having(count > 1).order_by(LedgerEntry.order_id)).all()
    return [_anomaly("supplier_charged_twice", f"supplier {sup} charged {n} times for order {oid}",
                     ref=f"{oid}:{sup}", store_id=sid, order_id=oid, supplier_order_id=soid, charges=n,
                     supplier_id=sup, currency=currency, charged=str(-Decimal(raw or 0)))
            for oid, sup, sid, n, soid, currency, raw in rows]


def _charge_mismatch(session: Session, tolerance_pct: Decimal) -> list[dict[str, Any]]:
    charged = func.sum(LedgerEntry.amount)  # keeps the Money type: an exact Decimal back
    actual_kinds = (L.SUPPLIER_COST, L.SUPPLIER_SHIPPING, L.FX_DIFFERENCE)
    rows = session.execute(
        select(SupplierOrder.id, SupplierOrder.order_id, LedgerEntry.store_id, SupplierOrder.currency,
               SupplierOrder.expected_cost, SupplierOrder.expected_shipping,
               charged.label("charged"), SupplierOrder.supplier_id)
        .join(LedgerEntry, LedgerEntry.supplier_order_id == SupplierOrder.id)
        .where(LedgerEntry.estimated.is_(False), LedgerEntry.kind.in_(actual_kinds),
               LedgerEntry.currency == SupplierOrder.currency, SupplierOrder.state != "cancelled")
        .group_by(SupplierOrder.id, SupplierOrder.order_id, LedgerEntry.store_id, SupplierOrder.currency,
                  SupplierOrder.expected_cost, SupplierOrder.expected_shipping, SupplierOrder.supplier_id)
        .order_by(SupplierOrder.id)).all()
    out = []
    for soid, oid, sid, currency, cost, shipping, raw, supplier in rows:
        actual = -Decimal(raw or 0)
        expected = cost + shipping
        if abs(actual - expected) > expected * tolerance_pct / 100:
            out.append(_anomaly(
                "supplier_charge_mismatch",
                f"supplier order {soid} charged {format_amount(actual, currency)} {currency}, "
                f"expected {format_amount(expected, currency)}", ref=str(soid), store_id=sid, order_id=oid,
                supplier_order_id=soid, charged=str(actual), expected=str(expected), currency=currency,
                supplier_id=supplier))
    return out


def _payouts(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(Payout).where(Payout.reconciled.is_(False)).order_by(Payout.id)).scalars()
    return [_anomaly("payout_mismatch", f"payout {p.external_id} nets {format_amount(p.net, p.currency)} but its "
                     f"transactions net {format_amount(p.transactions_net, p.currency)}", ref=str(p.id),
                     store_id=p.store_id, payout=p.external_id, net=str(p.net),
                     transactions_net=str(p.transactions_net), payout_id=p.id, currency=p.currency) for p in rows]


def _negative_margin(session: Session) -> list[dict[str, Any]]:
    """Orders whose ledger (in one currency) sums below zero; an order whose facts span currencies
    is judged by the profit report instead, where the day's rate applies."""
    total = func.sum(LedgerEntry.amount)
    rows = session.execute(
        select(LedgerEntry.order_id, LedgerEntry.store_id, func.min(LedgerEntry.currency), total)
        .where(LedgerEntry.order_id.is_not(None), LedgerEntry.kind.in_(_PROFIT_KINDS))
        .group_by(LedgerEntry.order_id, LedgerEntry.store_id)
        .having(and_(func.count(func.distinct(LedgerEntry.currency)) == 1, total < 0))
        .order_by(LedgerEntry.order_id)).all()
    out = []
    for oid, sid, currency, raw in rows:
        amount = Decimal(raw or 0)
        out.append(_anomaly("negative_margin", f"order {oid} loses {format_amount(-amount, currency)} {currency}",
                            ref=str(oid), store_id=sid, order_id=oid, profit=str(amount), currency=currency))
    return out


def _fx_missing(session: Session, reporting_currency: str) -> list[dict[str, Any]]:
    """Each (currency, day) of the ledger that has no rate into the reporting currency."""
    pairs = session.execute(select(LedgerEntry.currency, LedgerEntry.booked_on).distinct()
                            .where(LedgerEntry.currency != reporting_currency)
                            .order_by(LedgerEntry.booked_on, LedgerEntry.currency)).all()
    out = []
    for currency, day in pairs:
        if converter(session, day)(Decimal(1), currency, reporting_currency) is None:
            out.append(_anomaly("fx_rate_missing", f"no {currency}→{reporting_currency} rate on or before "
                                f"{day.isoformat()}: profit of that day leaves those amounts out",
                                ref=f"{currency}:{reporting_currency}:{day.isoformat()}", currency=currency,
                                day=day.isoformat(), reporting_currency=reporting_currency))
    return out


def find(session: Session, *, tolerance_pct: Decimal, grace: timedelta, reporting_currency: str,
         now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or utcnow()
    return (_unsent(session, now, grace) + _charged_for_cancelled(session) + _charged_twice(session)
            + _charge_mismatch(session, tolerance_pct) + _payouts(session) + _negative_margin(session)
            + _fx_missing(session, reporting_currency))


def publish(session: Session, found: list[dict[str, Any]]) -> int:
    """Each anomaly becomes one open attention item (kept once per cause by its dedupe key)."""
    return attention.record(session, [attention.Cause(
        f"money:{a['kind']}:{a['ref']}", a["kind"], a["reason"], store_id=a["store_id"], order_id=a["order_id"],
        supplier_order_id=a["supplier_order_id"], details=a["details"]) for a in found])


def resolve_gone(session: Session, found: list[dict[str, Any]]) -> list[int]:
    """Open money items whose anomaly no longer holds are resolved (unsent orders are resolved
    below by their own rule, which keeps an order inside its grace period open); those that still
    hold take the current words (amounts change, and items older than the words read as ids)."""
    current = {f"money:{a['kind']}:{a['ref']}": a["reason"] for a in found}
    stale: list[int] = []
    for item_id, kind, key, reason in session.execute(
            select(AttentionItem.id, AttentionItem.kind, AttentionItem.dedupe_key, AttentionItem.reason).where(
                AttentionItem.resolved_at.is_(None), AttentionItem.kind.in_(KINDS),
                AttentionItem.dedupe_key.startswith("money:")).order_by(AttentionItem.id)):
        if key in current and current[key] != reason:
            session.execute(update(AttentionItem).where(AttentionItem.id == item_id).values(reason=current[key]))
        elif key not in current and kind != UNSENT_PAID_ORDER:
            stale.append(item_id)
    resolved: list[int] = []
    for start in range(0, len(stale), 500):
        resolved += attention.resolve_open(session, [AttentionItem.id.in_(stale[start:start + 500])],
                                           "the money facts agree now")
    return resolved


def reconcile(db: Database, *, tolerance_pct: Decimal, grace: timedelta, reporting_currency: str,
              kind: str | None = None) -> list[dict[str, Any]]:
    """Find anomalies, put them on the attention list, return them (optionally one kind)."""
    with db.transaction() as session:
        found = in_words(session, find(session, tolerance_pct=tolerance_pct, grace=grace,
                                       reporting_currency=reporting_currency))
        added = publish(session, found)
        resolve_gone(session, found)
        # Items of orders that went out after all (or were cancelled, or refunded) are resolved;
        # an order still inside the grace period is still unsent, so its item stays.
        still_unsent = [a["order_id"] for a in _unsent(session, utcnow(), timedelta(0))]
        attention.resolve_open(session, [AttentionItem.kind == UNSENT_PAID_ORDER,
                                         AttentionItem.order_id.not_in(still_unsent)],
                               "sent to a supplier, fulfilled by the store, cancelled or no longer paid")
    if added:
        logger.info("money anomalies added to the attention list", extra={"added": added})
    return [a for a in found if kind is None or a["kind"] == kind]
