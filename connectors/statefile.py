"""A JSON state file that survives a kill at any moment: written whole to a temporary file beside
it, then moved over it (`os.replace`), so a reader sees the old state or the new, never half.

Used by the sandboxes (`hub run --sandbox`) to keep their shop and suppliers across restarts.
A kill of the process never loses a write that returned; a power cut may (no fsync: sandbox data).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1


class CorruptState(Exception):
    """The file exists but is not a state this code wrote (truncated, edited, other version)."""


class StateFile:
    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind  # written into the file and checked on read: a shop never loads a supplier
        self._last: bytes | None = None

    def read(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none yet; CorruptState when unreadable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CorruptState(f"{self.path}: {exc.strerror or exc}") from exc
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptState(f"{self.path}: not JSON ({exc})") from exc
        if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION \
                or payload.get("kind") != self.kind or not isinstance(payload.get("state"), dict):
            raise CorruptState(f"{self.path}: not a {self.kind} state of format {FORMAT_VERSION}")
        self._last = raw
        state: dict[str, Any] = payload["state"]
        return state

    def write(self, state: dict[str, Any]) -> bool:
        """Replace the file with `state` atomically; False when it already holds exactly that."""
        raw = json.dumps({"format": FORMAT_VERSION, "kind": self.kind, "state": state},
                         separators=(",", ":"), sort_keys=True).encode()
        if raw == self._last:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            Path(tmp).replace(self.path)  # atomic: a reader sees the old file or the new
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._last = raw
        return True

    def set_aside(self) -> Path | None:
        """Move an unreadable file out of the way (kept for a look), so the next start is clean."""
        target = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
        try:
            self.path.replace(target)
        except OSError:
            return None
        return target


def time_based_id() -> int:
    """An id above any a previous run could have handed out: microseconds since 1970 (below 2**53)."""
    return time.time_ns() // 1000
