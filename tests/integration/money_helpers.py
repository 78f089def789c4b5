"""Builders for the money tests: an order with known amounts, supplier orders, transactions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from hub.bootstrap import Hub
from hub.db.models import LedgerEntry, Order, SupplierOrder
from hub.domain.money import Money
from hub.domain.orders import OrderLineIn
from hub.domain.storefront import OrderTransaction, TransactionFee
from hub.services.intake import ingest_orders
from hub.services.ledger import record_order
from tests.factories import T0, make_order

D = Decimal


def known_order(hub: Hub, store_id: int, external_id: str = "5001", *, currency: str = "USD",
                placed: datetime = T0, **changes: object) -> int:
    """Lines: 2 × 15.00 with 3.00 line discount, 1 × 20.00; order discount 2.00 beyond the line one;
    shipping 4.90; tax 3.10. Revenue = 27.00 + 20.00 - 2.00 + 4.90 = 49.90."""
    lines = (OrderLineIn(external_id=f"{external_id}-a", sku="MUG", title="Mug", quantity=2, unit_price=D("15.00"),
                         total_discount=D("3.00"), variant_id="v-mug"),
             OrderLineIn(external_id=f"{external_id}-b", sku="CAP", title="Cap", quantity=1, unit_price=D("20.00"),
                         variant_id="v-cap"))
    order = replace(make_order(external_id, currency=currency), lines=lines, subtotal_price=D("47.00"),
                    total_discounts=D("5.00"), total_shipping=D("4.90"), total_tax=D("3.10"),
                    total_price=D("50.00"), created_at=placed, updated_at=placed, **changes)  # type: ignore[arg-type]
    ingest_orders(hub.db, store_id, [order], "test")
    with hub.db.transaction() as session:
        order_id = int(session.execute(select(Order.id).where(Order.store_id == store_id,
                                                              Order.external_id == external_id)).scalar_one())
        record_order(session, order_id)
    return order_id


def supplier_order(hub: Hub, order_id: int, supplier_id: int, *, cost: str = "12.00", shipping: str = "3.00",
                   currency: str = "USD", state: str = "accepted", attempt: int = 1) -> int:
    with hub.db.transaction() as session:
        row = SupplierOrder(order_id=order_id, supplier_id=supplier_id, attempt=attempt,
                            reference=f"R-{order_id}-{supplier_id}-{attempt}",
                            idempotency_key=f"K-{order_id}-{supplier_id}-{attempt}", state=state,
                            currency=currency, expected_cost=D(cost), expected_shipping=D(shipping))
        session.add(row)
        session.flush()
        return row.id


def txn(txn_id: str, kind: str, amount: str, *, fee: str | None = None, currency: str = "USD",
        at: datetime = T0) -> OrderTransaction:
    fees = (TransactionFee(fee_id=f"f{txn_id}", type="payment", amount=Money(D(fee), currency)),) if fee else ()
    return OrderTransaction(transaction_id=txn_id, order_id="x", kind=kind, status="success", gateway="sp",
                            amount=Money(D(amount), currency), processed_at=at, fees=fees)


def ledger(hub: Hub, order_id: int) -> dict[str, tuple[str, Decimal, str, bool]]:
    with hub.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).where(LedgerEntry.order_id == order_id)).scalars().all()
        return {r.source_ref: (r.kind, r.amount, r.currency, r.estimated) for r in rows}


def ledger_sum(hub: Hub, order_id: int) -> Decimal:
    with hub.db.transaction() as session:
        return Decimal(session.execute(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.order_id == order_id, LedgerEntry.kind != "tax")).scalar_one())


T_LATER = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def route_lines(hub: Hub, supplier_order_id: int, *, line_ids: list[int] | None = None,
                quantity: int | None = None) -> None:
    """Supplier-order lines for the order's lines (all, or `line_ids`): the lines are routed."""
    from hub.db.models import Offer, OrderLine, SupplierOrderLine

    with hub.db.transaction() as session:
        so = session.get(SupplierOrder, supplier_order_id)
        assert so is not None
        lines = session.execute(select(OrderLine).where(OrderLine.order_id == so.order_id)
                                .order_by(OrderLine.id)).scalars().all()
        for line in lines:
            if line_ids is not None and line.id not in line_ids:
                continue
            sku = f"{line.sku}-{so.supplier_id}"
            offer = session.execute(select(Offer).where(Offer.supplier_id == so.supplier_id,
                                                        Offer.supplier_sku == sku)).scalar_one_or_none()
            if offer is None:
                offer = Offer(supplier_id=so.supplier_id, supplier_sku=sku, cost=D("5.00"),
                              shipping_cost=D("1.00"), currency="USD", stock=100)
                session.add(offer)
                session.flush()
            session.add(SupplierOrderLine(supplier_order_id=so.id, order_line_id=line.id, offer_id=offer.id,
                                          supplier_sku=sku, quantity=quantity or line.quantity,
                                          unit_cost=D("5.00"), shipping_cost=D("1.00")))
