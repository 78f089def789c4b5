"""A database error logged by the hub carries no customer data: no SQL parameters, no failing row."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from hub.db.engine import Database
from hub.db.models.orders import Order
from hub.logs import JsonFormatter, TextFormatter

EMAIL = "jane.customer@example.com"
STREET = "17 Quiet Lane"


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
def test_a_failed_insert_logs_no_customer_email_or_address(db: Database, formatter: logging.Formatter) -> None:
    now = datetime.now(UTC)
    row = {"store_id": 1, "external_id": "1001", "name": None, "email": EMAIL, "currency": "USD",
           "financial_status": "paid", "fulfillment_status": "unfulfilled", "subtotal_price": 0,
           "total_discounts": 0, "total_shipping": 0, "total_tax": 0, "total_price": 0,
           "shipping_address": {"address1": STREET}, "placed_at": now, "remote_updated_at": now,
           "fingerprint": "x"}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    log = logging.getLogger("tests.db_log_privacy")
    log.addHandler(handler)
    try:
        with pytest.raises(SQLAlchemyError) as caught, db.transaction() as session:
            session.execute(insert(Order).values(**row))  # name is NOT NULL: the database refuses the row
        log.error("order intake failed: %s", caught.value, exc_info=caught.value)
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "orders" in text  # the error itself is logged: which table, which statement
    assert EMAIL not in text and "jane.customer" not in text
    assert STREET not in text
