"""Where purchase orders live: `<folder>/<supplier_code>/<batch_id>.csv`, written atomically.

Atomic (temporary file in the same directory, fsync, rename) so the API serving
`/api/v1/suppliers/{code}/purchase-orders/{id}.csv`, or a supplier fetching the folder, never sees
half a file. Names are checked so a code or batch id cannot leave the folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _checked(kind: str, name: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"{kind} {name!r} must be 1-100 letters, digits, '_', '-' or '.'")
    return name


def _atomic_write(target: Path, content: bytes, *, replace: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.stem[:40]}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            Path(temp).replace(target)
        else:
            os.link(temp, target)  # fails if the target exists: never replace a sent batch
    finally:
        Path(temp).unlink(missing_ok=True)


class PurchaseOrderFolder:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.root = Path(path)

    def __repr__(self) -> str:
        return f"PurchaseOrderFolder({str(self.root)!r})"

    def path_of(self, supplier_code: str, batch_id: str) -> Path:
        return self.root / _checked("supplier code", supplier_code) / f"{_checked('batch id', batch_id)}.csv"

    def write(self, supplier_code: str, batch_id: str, content: bytes) -> Path:
        """Write the batch; refuses to overwrite one already written (a batch id names one file)."""
        target = self.path_of(supplier_code, batch_id)
        _atomic_write(target, content, replace=False)
        return target

    def read(self, supplier_code: str, batch_id: str) -> bytes:
        """The batch's bytes; FileNotFoundError when there is none."""
        return self.path_of(supplier_code, batch_id).read_bytes()

    def batches(self, supplier_code: str) -> list[str]:
        """Batch ids written for this supplier, oldest name first."""
        directory = self.root / _checked("supplier code", supplier_code)
        if not directory.is_dir():
            return []
        return sorted(p.stem for p in directory.glob("*.csv") if _NAME.fullmatch(p.stem))

    # -- orders recorded for the next batch (on disk, so any worker process sees them) -----------

    def _pending_path(self, supplier_code: str, reference: str) -> Path:
        digest = hashlib.sha256(reference.encode()).hexdigest()[:32]
        return self.root / _checked("supplier code", supplier_code) / ".pending" / f"{digest}.csv"

    def add_pending(self, supplier_code: str, reference: str, content: bytes) -> bool:
        """Record one order's rows; False (and nothing changed) when the reference is already there."""
        target = self._pending_path(supplier_code, reference)
        try:
            _atomic_write(target, content, replace=False)
        except FileExistsError:
            return False
        return True

    def has_pending(self, supplier_code: str, reference: str) -> bool:
        return self._pending_path(supplier_code, reference).exists()

    def drop_pending(self, supplier_code: str, reference: str) -> bool:
        try:
            self._pending_path(supplier_code, reference).unlink()
        except FileNotFoundError:
            return False
        return True

    def pending(self, supplier_code: str) -> list[tuple[Path, bytes]]:
        """Recorded orders, oldest first."""
        directory = self.root / _checked("supplier code", supplier_code) / ".pending"
        if not directory.is_dir():
            return []
        files = sorted(directory.glob("*.csv"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        return [(path, path.read_bytes()) for path in files]
