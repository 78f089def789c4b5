"""Who holds a lease, and whether that process still lives.

A holder is (host, pid, start): the start time tells a reused pid from the process that held the
lease. On Linux it is the boot id plus the process's start tick from `/proc/<pid>/stat`, exact
and cheap; elsewhere it is unknown (None) and only a dead pid or a stopped heartbeat frees a lease.
A holder on another host (or in another pid namespace) is never judged from here: its heartbeat
decides.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_current: tuple[int, Holder] | None = None


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    started: str | None

    @classmethod
    def current(cls) -> Holder:
        """This process (computed once per pid, so a forked child gets its own)."""
        global _current
        pid = os.getpid()
        if _current is None or _current[0] != pid:
            _current = (pid, cls(_host(), pid, process_started(pid)))
        return _current[1]


def _host() -> str:
    """The host name, plus the pid namespace where there is one: two containers that share a
    name (or a kernel) but not their pids are two hosts, so neither judges the other's pids."""
    try:
        namespace = (_PROC / "self/ns/pid").readlink()
    except OSError:
        return socket.gethostname()[:200]
    return f"{socket.gethostname()[:200]}/{namespace}"


def _boot_id() -> str | None:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _stat(pid: int) -> tuple[str, str] | None:
    """(state, start ticks) of a process from /proc, or None when there is no such entry."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the name may hold spaces and parentheses
    return fields[0], fields[19]  # field 3 (state) and field 22 (starttime) of proc(5)


def process_started(pid: int) -> str | None:
    boot, stat = _boot_id(), _stat(pid)
    if boot is None or stat is None:
        return None
    return f"{boot[:8]}:{stat[1]}"


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def holder_is_gone(holder: Holder, here: Holder) -> bool:
    """True only when we know for sure: same host, and the pid is dead, a zombie, or another process."""
    if holder.host != here.host or holder.pid <= 0:
        return False
    if holder.pid == here.pid:
        return holder.started != here.started  # ourselves (another thread) lives; an older us does not
    if _PROC.is_dir() and _boot_id() is not None:
        stat = _stat(holder.pid)
        if stat is None:
            return True
        state, _ticks = stat
        if state in ("Z", "X"):  # killed, not yet reaped by its parent
            return True
        return holder.started is not None and process_started(holder.pid) != holder.started
    return not _pid_exists(holder.pid)
