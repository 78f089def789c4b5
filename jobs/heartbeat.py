"""One heartbeat thread per process and database renews every lease the process holds.

Runs hold the thread while they run (`with heartbeat(db, interval):`); it beats every interval
while anyone holds it and ends when the last run lets go. A beat that fails (a locked or
unreachable database) is logged and tried again at the next interval: a holder that stops beating
for a few intervals loses its lease to the next process that asks.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from hub.db.engine import Database
from jobs import leases

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_beaters: weakref.WeakKeyDictionary[Database, _Beater] = weakref.WeakKeyDictionary()


class _Beater:
    def __init__(self, db: Database, interval: float) -> None:
        self.pid = os.getpid()
        self.interval = interval
        self.holders = 0
        self._db = weakref.ref(db)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            db = self._db()
            if db is None:
                return
            try:
                leases.beat(db)
            except Exception as exc:  # the next beat tries again; the lease survives a few misses
                logger.warning("lease heartbeat failed", extra={"error": type(exc).__name__})
            del db

    def stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        return self.pid == os.getpid() and self._thread.is_alive() and not self._stop.is_set()


@contextmanager
def heartbeat(db: Database, interval: float) -> Iterator[None]:
    """Keep this process's leases on `db` beating while the block runs."""
    with _lock:
        beater = _beaters.get(db)
        if beater is None or not beater.alive:
            beater = _beaters[db] = _Beater(db, interval)
        beater.holders += 1
    try:
        yield
    finally:
        with _lock:
            beater.holders -= 1
            if beater.holders == 0:
                beater.stop()
                if _beaters.get(db) is beater:
                    del _beaters[db]
