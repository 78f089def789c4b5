"""Purchase orders as CSV files for suppliers without an API (kind `csv_po`).

Placement records each supplier order on disk; `write_batches` turns what is recorded into one
file per supplier per run, which the supplier downloads from the API (or the operator mails).
The supplier answers with tracking by the push API or a CSV (`hub shipments import`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hub.db.base import utcnow
from hub.db.models import Supplier
from hub.errors import NotFound
from hub.services.supplier_orders import supplier_adapter

if TYPE_CHECKING:
    from hub.bootstrap import Hub

logger = logging.getLogger(__name__)


def folder_of(hub: Hub, config: dict[str, Any]) -> str:
    return str(config.get("folder") or (Path(hub.settings.var_dir) / "purchase-orders"))


def _supplier(hub: Hub, code: str) -> dict[str, Any]:
    with hub.db.transaction() as session:
        supplier = session.execute(select(Supplier).where(Supplier.code == code, Supplier.kind == "csv_po")
                                   ).scalar_one_or_none()
        if supplier is None:
            raise NotFound(f"no purchase-order supplier {code!r}")
        return dict(supplier.config)


def write_batches(hub: Hub) -> dict[str, int]:
    """One file per csv_po supplier with everything recorded since its last batch."""
    with hub.db.transaction() as session:
        rows = session.execute(select(Supplier.code, Supplier.config).where(
            Supplier.kind == "csv_po", Supplier.active.is_(True))).all()
    batch_id = utcnow().strftime("%Y%m%dT%H%M%SZ")
    written = 0
    for code, config in rows:
        adapter = supplier_adapter(hub, "csv_po", code, {**config, "folder": folder_of(hub, config)}, None)
        path = adapter.write_batch(batch_id)  # type: ignore[attr-defined]
        if path:
            written += 1
            logger.info("purchase order written", extra={"supplier": code, "batch": batch_id})
    return {"batches": written}


def list_batches(hub: Hub, code: str) -> list[str]:
    config = _supplier(hub, code)
    return hub.connectors.purchase_order_folder(folder_of(hub, config)).batches(code)


def read_batch(hub: Hub, code: str, batch_id: str) -> bytes:
    config = _supplier(hub, code)
    try:
        return hub.connectors.purchase_order_folder(folder_of(hub, config)).read(code, batch_id)
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound(f"no purchase order {batch_id!r} for {code}") from exc
