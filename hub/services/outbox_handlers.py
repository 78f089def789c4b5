"""The table of outbox kinds → the function that delivers them, written out in one place.

No registration by import side effect: what runs for a kind is read here, and
`tests/unit/test_service_shape.py` checks the table covers every `OutboxKind` and nothing else.
"""

from __future__ import annotations

from types import MappingProxyType

from hub.domain.outbox_kinds import OutboxKind
from hub.services import cancellation, fulfillment, placement, store_sync
from hub.services.outbox_messages import Handler

HANDLERS: MappingProxyType[str, Handler] = MappingProxyType({
    OutboxKind.PLACE: placement.place,
    OutboxKind.CANCEL: cancellation.cancel_at_supplier,
    OutboxKind.FULFIL: fulfillment.fulfil,
    OutboxKind.PUSH_PRICES: store_sync.push_approved,
})
