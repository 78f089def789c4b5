"""`CsvPurchaseOrderSupplier`: the `Supplier` port for a supplier that takes orders as files.

Contract:
- `place_order` records the request for the next batch (on disk, under `<code>/.pending/`, so
  every worker process and every adapter instance sees it) and answers ACCEPTED with remote id
  `po:<reference>`: the hub has taken the order for the supplier; nothing is sent yet.
- The hub decides when a batch is written: `write_batch(batch_id)` renders every recorded order
  into `<folder>/<code>/<batch_id>.csv` (one file per supplier per run), then forgets them.
- Exactly once: a reference is recorded once (the first request wins) and a reference already in
  an earlier batch file is never written again (a crash between writing a batch and forgetting
  its orders repeats nothing) — `honours_idempotency_key` is True in that sense.
- `get_order`: ACCEPTED when recorded or written, None otherwise. Tracking comes back separately
  (answer file via `parse_answer_file`, or the push API), so this never reports SHIPPED.
- `cancel_order`: a recorded order is dropped (True); once written it is too late (False).
- `stock` is empty: these suppliers send stock as feeds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from connectors.suppliers.csv_po.folder import PurchaseOrderFolder
from connectors.suppliers.csv_po.render import merge_purchase_orders, references_in, render_purchase_order
from hub.ports import StockLevel, SupplierOrderRequest, SupplierOrderState, SupplierOrderStatus

logger = logging.getLogger(__name__)
_BATCH_LOCK = threading.Lock()


class CsvPurchaseOrderSupplier:
    honours_idempotency_key = True

    def __init__(self, supplier_code: str, folder: PurchaseOrderFolder) -> None:
        folder.path_of(supplier_code, "check")  # validates the code early
        self.supplier_code = supplier_code
        self.folder = folder

    def __repr__(self) -> str:
        return f"CsvPurchaseOrderSupplier({self.supplier_code!r}, {self.folder!r})"

    def place_order(self, request: SupplierOrderRequest) -> SupplierOrderStatus:
        existing = self.get_order(request.reference)
        if existing is not None:
            return existing
        self.folder.add_pending(self.supplier_code, request.reference, render_purchase_order([request]))
        return self._accepted(request.reference, "recorded for the next purchase order")

    def write_batch(self, batch_id: str) -> str | None:
        """Write the recorded orders not already in an earlier batch; the file's path, or None."""
        with _BATCH_LOCK:
            pending = self.folder.pending(self.supplier_code)
            written = self._written_references()
            fresh = [content for _, content in pending if not references_in(content) <= written]
            path = None
            if fresh:
                path = str(self.folder.write(self.supplier_code, batch_id, merge_purchase_orders(fresh)))
                logger.info("purchase order %s/%s written with %d orders", self.supplier_code, batch_id, len(fresh))
            for file, _ in pending:
                file.unlink(missing_ok=True)
        return path

    def get_order(self, reference: str, remote_id: str | None = None) -> SupplierOrderStatus | None:
        if self.folder.has_pending(self.supplier_code, reference):
            return self._accepted(reference, "recorded for the next purchase order")
        for batch_id in self.folder.batches(self.supplier_code):
            if reference in references_in(self.folder.read(self.supplier_code, batch_id)):
                return self._accepted(reference, f"sent in purchase order {batch_id}")
        return None

    def cancel_order(self, reference: str, remote_id: str | None = None) -> bool:
        if self.folder.drop_pending(self.supplier_code, reference):
            return True
        return self.get_order(reference) is None  # never recorded: nothing to cancel

    def stock(self, skus: Sequence[str]) -> list[StockLevel]:
        return []

    def close(self) -> None:
        return None

    def _written_references(self) -> set[str]:
        found: set[str] = set()
        for batch_id in self.folder.batches(self.supplier_code):
            found |= references_in(self.folder.read(self.supplier_code, batch_id))
        return found

    @staticmethod
    def _accepted(reference: str, message: str) -> SupplierOrderStatus:
        return SupplierOrderStatus(reference=reference, remote_id=f"po:{reference}",
                                   state=SupplierOrderState.ACCEPTED, message=message)
