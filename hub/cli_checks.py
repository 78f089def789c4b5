"""Arguments that name a supplier or a store are checked first, so an error names what is unknown.

Without this a command could blame something else (`hub shipments import nosuch FILE` used to
reject every row for an unknown reference). Exit 2, like any other bad argument.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import Store, Supplier
from hub.errors import UserError


def require_supplier(hub: Hub, code: str) -> None:
    with hub.db.transaction() as session:
        known = session.execute(select(Supplier.id).where(Supplier.code == code)).first()
    if known is None:
        raise UserError(f"unknown supplier {code!r} (see 'hub supplier list')")


def require_store(hub: Hub, store_id: int | None) -> None:
    if store_id is None:
        return
    with hub.db.transaction() as session:
        known = session.get(Store, store_id)
    if known is None:
        raise UserError(f"unknown store {store_id} (see 'hub store list')")
