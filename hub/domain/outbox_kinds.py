"""The kinds of outbox message: every side effect the hub defers until after commit.

A StrEnum so that writing a message of an unknown kind is a type error (and a ValueError at run
time), and so the table of handlers (`hub/services/outbox_handlers.py`) can be checked against it.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    PLACE = "supplier.place"  # send a supplier order to its supplier
    CANCEL = "supplier.cancel"  # ask a supplier to cancel an order it accepted
    FULFIL = "store.fulfill"  # create the store fulfillment of a shipment
    PUSH_PRICES = "store.push_prices"  # push a store's prices after a person approved one
