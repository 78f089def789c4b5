"""Anomalies in plain words, on both backends: made, seen in the API, on /anomalies and on the
attention list; their cause fixed, gone from all three (the attention item resolved)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import AttentionItem, Payout, SupplierOrder
from hub.domain.money import Money
from hub.domain.storefront import BalanceTransaction
from hub.domain.storefront import Payout as RemotePayout
from hub.services import payments
from hub.services.ledger import record_supplier_charge, record_supplier_credit
from tests import catalogue_builders as cb
from tests.api.conftest import AUTH
from tests.conftest import ADMIN_TOKEN, SAME_SITE
from tests.integration.money_helpers import D, known_order, supplier_order


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(
        create_app(hub), headers=SAME_SITE, raise_server_exceptions=False, follow_redirects=False
    ) as test_client:
        yield test_client


def listed(client: TestClient, kind: str) -> list[dict[str, object]]:
    response = client.get("/api/v1/reconciliation/anomalies", params={"kind": kind}, headers=AUTH)
    assert response.status_code == 200, response.text
    return list(response.json()["anomalies"])


def items(hub: Hub, kind: str) -> list[tuple[str, bool]]:
    with hub.db.transaction() as session:
        return [
            (i.reason, i.resolved_at is not None)
            for i in session.execute(
                select(AttentionItem).where(AttentionItem.kind == kind).order_by(AttentionItem.id)
            ).scalars()
        ]


def balance(tid: str, kind: str, amount: str) -> BalanceTransaction:
    return BalanceTransaction(
        transaction_id=tid,
        type=kind,
        amount=Money(D(amount), "USD"),
        fee=Money(D("0"), "USD"),
        net=Money(D(amount), "USD"),
        transaction_date=None,
    )


def test_a_payout_that_does_not_add_up_disappears_once_its_transactions_do(hub: Hub, client: TestClient) -> None:
    store = cb.store(hub.db)
    with hub.db.transaction() as session:
        payments.store_payout(
            session,
            store,
            RemotePayout("P-77", "paid", None, Money(D("60.00"), "USD")),
            [balance("b1", "charge", "9.00")],
        )
        payout_id = session.execute(select(Payout.id)).scalar_one()
        # an item listed before the words existed reads in words once the anomaly is checked again
        session.add(
            AttentionItem(
                dedupe_key=f"money:payout_mismatch:{payout_id}",
                kind="payout_mismatch",
                reason="payout P-77 nets 60.00 but its transactions net 9.00",
                details={},
            )
        )
    [anomaly] = listed(client, "payout_mismatch")
    words = "Payout P-77 of Shop paid 60.00 USD but its transactions add up to 9.00 USD: 51.00 USD unexplained."
    assert anomaly["reason"] == words
    link = anomaly["link"]
    assert isinstance(link, dict) and link["text"] == "payout P-77" and link["href"].startswith("/payouts/")
    client.post("/login", data={"token": ADMIN_TOKEN})
    page = client.get("/anomalies")
    assert page.status_code == 200 and words in page.text and link["href"] in page.text
    assert items(hub, "payout_mismatch") == [(words, False)]

    with hub.db.transaction() as session:  # the next pull brings the adjustment that was missing
        payments.store_payout(
            session,
            store,
            RemotePayout("P-77", "paid", None, Money(D("60.00"), "USD")),
            [balance("b1", "charge", "9.00"), balance("b2", "adjustment", "51.00")],
        )
    assert listed(client, "payout_mismatch") == []
    assert "P-77" not in client.get("/anomalies").text
    assert items(hub, "payout_mismatch") == [(words, True)]


def test_a_charge_for_a_cancelled_order_disappears_once_the_supplier_credits_it(hub: Hub, client: TestClient) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "alpha")
    order_id = known_order(hub, store, "1001", cancelled_at=utcnow(), cancel_reason="customer")
    so = supplier_order(hub, order_id, supplier)
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("12.00"), D("3.00"), "USD")
    [anomaly] = listed(client, "charged_for_cancelled_order")
    words = "Alpha still charges 12.00 USD for the goods of order #1001 (Shop), which is cancelled: ask for a credit."
    assert anomaly["reason"] == words and anomaly["link"] == {"href": f"/orders/{order_id}", "text": "order #1001"}
    client.post("/login", data={"token": ADMIN_TOKEN})
    assert words in client.get("/anomalies").text
    with hub.db.transaction() as session:  # the supplier cancels its order and books the money back
        session.execute(update(SupplierOrder).where(SupplierOrder.id == so).values(state="cancelled"))
        record_supplier_credit(session, so)
    assert listed(client, "charged_for_cancelled_order") == []
    assert "#1001" not in client.get("/anomalies").text
    assert items(hub, "charged_for_cancelled_order") == [(words, True)]


def test_every_finder_speaks_in_names_not_ids(hub: Hub, client: TestClient) -> None:
    store, supplier = cb.store(hub.db), cb.supplier(hub.db, "beta")
    order_id = known_order(hub, store, "2002")
    so = supplier_order(hub, order_id, supplier, cost="45.00", shipping="4.00")
    with hub.db.transaction() as session:
        record_supplier_charge(session, so, D("60.00"), D("4.00"), "USD", charge_ref="c1")
        record_supplier_charge(session, so, D("60.00"), D("4.00"), "USD", charge_ref="c2")
    found = client.get("/api/v1/reconciliation/anomalies", headers=AUTH).json()["anomalies"]
    said = {a["kind"]: a["reason"] for a in found}
    assert said["supplier_charged_twice"] == "Beta charged 2 times for order #2002 (Shop): 120.00 USD for goods in all."
    assert said["supplier_charge_mismatch"] == (
        f"Beta charged 128.00 USD for order #2002 (Shop) (supplier order R-{order_id}-{supplier}-1), 79.00 USD "
        "more than the 49.00 USD expected."
    )
    assert said["negative_margin"] == "Order #2002 (Shop) loses 78.10 USD: its costs exceed what it earned."
    assert all(a["link"] == {"href": f"/orders/{order_id}", "text": "order #2002"} for a in found)
