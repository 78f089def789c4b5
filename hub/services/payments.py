"""The payments.pull job: order transactions with fees → ledger; payouts and their balance
transactions → stored, matched to orders and reconciled (sum of net == payout net)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connectors.http import ConnectorError, RemoteUnavailable
from hub.db.base import utcnow
from hub.db.models import Order, Payout, PayoutTransaction
from hub.db.sql import dialect_insert
from hub.domain.storefront import BalanceTransaction
from hub.domain.storefront import Payout as RemotePayout
from hub.ports import PaymentsSource
from hub.services import ledger
from hub.services.stores import credentials

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)

DISPUTE_TYPES = frozenset({"dispute", "chargeback"})


def pull_payments(hub: Hub, store_id: int) -> dict[str, int]:
    """Recent orders' transactions into the ledger, then payouts; each order is its own transaction
    so one bad order never holds back the rest. An order or payout whose read fails (after the
    client's own retries) is skipped and the rest go on; the run then raises PaymentsIncomplete,
    so the job is seen to fail and its next run reads them again (everything it writes is keyed)."""
    since = utcnow() - timedelta(days=hub.settings.payments_lookback_days)
    storefront = hub.connectors.storefront(credentials(hub, store_id))
    source = cast(PaymentsSource, storefront)
    counts = {"orders": 0, "ledger_rows": 0, "payouts": 0, "payout_transactions": 0, "unreconciled": 0}
    failed: list[str] = []
    try:
        with hub.db.transaction() as session:
            orders = session.execute(select(Order.id, Order.external_id).where(
                Order.store_id == store_id, Order.remote_updated_at >= since).order_by(Order.id)).all()
        for order_id, external_id in orders:
            try:
                payments = source.order_payments(external_id)
            except ConnectorError as exc:
                failed.append(f"order {external_id}: {exc}")
                continue
            with hub.db.transaction() as session:
                counts["ledger_rows"] += ledger.record_order(session, order_id)
                counts["ledger_rows"] += ledger.record_transactions(session, order_id, payments.transactions,
                                                                    payments.refunds)
            counts["orders"] += 1
        try:
            remote_payouts = list(source.payouts(issued_since=since.date()))
        except ConnectorError as exc:
            failed.append(f"payouts: {exc}")
            remote_payouts = []
        for payout in remote_payouts:
            try:
                balance = list(source.balance_transactions(payout.payout_id))
            except ConnectorError as exc:
                failed.append(f"payout {payout.payout_id}: {exc}")
                continue
            with hub.db.transaction() as session:
                reconciled = store_payout(session, store_id, payout, balance)
            counts["payouts"] += 1
            counts["payout_transactions"] += len(balance)
            counts["unreconciled"] += 0 if reconciled else 1
    finally:
        storefront.close()
    logger.info("payments pulled", extra={"store_id": store_id, "failed": len(failed), **counts})
    if failed:
        raise PaymentsIncomplete(f"{len(failed)} payment reads failed (the rest were recorded); "
                                 f"first: {failed[0]}"[:500])
    return counts


class PaymentsIncomplete(RemoteUnavailable):
    """Some orders' or payouts' payments could not be read this run; the others were recorded."""


def _upsert(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    statement = dialect_insert(session, table)
    updatable = [c for c in rows[0] if c not in keys]
    session.execute(statement.on_conflict_do_update(
        index_elements=keys, set_={c: statement.excluded[c] for c in updatable}), rows)


def store_payout(session: Session, store_id: int, payout: RemotePayout,
                 balance: Sequence[BalanceTransaction]) -> bool:
    """Store a payout and its balance transactions (idempotent), match them to orders by the
    order's external id, and mark the payout reconciled when the nets agree. Returns reconciled."""
    now = utcnow()
    _upsert(session, Payout.__table__, [{
        "store_id": store_id, "external_id": payout.payout_id, "status": payout.status,
        "issued_at": payout.issued_at, "net": payout.net.amount, "currency": payout.net.currency,
        "updated_at": now}], ["store_id", "external_id"])
    payout_row = session.execute(select(Payout.id).where(
        Payout.store_id == store_id, Payout.external_id == payout.payout_id)).scalar_one()
    external_ids = {bt.order_id for bt in balance if bt.order_id}
    orders: dict[str, int] = {}
    if external_ids:
        orders = {ext: oid for ext, oid in session.execute(select(Order.external_id, Order.id).where(
            Order.store_id == store_id, Order.external_id.in_(external_ids)))}
    if balance:
        _upsert(session, PayoutTransaction.__table__, [{
            "store_id": store_id, "payout_id": payout_row, "external_id": bt.transaction_id, "type": bt.type,
            "amount": bt.amount.amount, "fee": bt.fee.amount, "net": bt.net.amount, "currency": bt.net.currency,
            "order_id": orders.get(bt.order_id or ""), "source_order_transaction_id": bt.source_order_transaction_id,
            "transaction_date": bt.transaction_date} for bt in balance], ["store_id", "external_id"])
    for bt in balance:
        if bt.type.lower() in DISPUTE_TYPES and orders.get(bt.order_id or ""):
            ledger.record_dispute(session, orders[bt.order_id or ""], bt.transaction_id, bt.amount.amount,
                                  bt.fee.amount, bt.amount.currency, bt.transaction_date)
    total = session.execute(select(func.coalesce(func.sum(PayoutTransaction.net), 0)).where(
        PayoutTransaction.payout_id == payout_row)).scalar_one()
    transactions_net = Decimal(total)
    reconciled = transactions_net == payout.net.amount
    session.execute(update(Payout).where(Payout.id == payout_row).values(
        transactions_net=transactions_net, reconciled=reconciled))
    if not reconciled:
        logger.warning("payout does not match its transactions",
                       extra={"store_id": store_id, "payout": payout.payout_id})
    return reconciled
