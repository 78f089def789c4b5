"""Leases die with their process: a killed holder's lease is taken over at once, a stopped
heartbeat frees it after a few intervals, a live holder keeps it, and of two contenders for a
dead holder's lease exactly one wins (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import select as io_select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import JobLease
from jobs import leases
from jobs.holders import Holder
from jobs.registry import JobSpec
from jobs.runner import run_job

REPO_ROOT = Path(__file__).resolve().parents[2]
TTL = 300  # HUB_JOB_LEASE_SECONDS' default: every take-over below happens long before it

# Takes the leases of the jobs named on its command line, says so, and holds them until killed.
HOLDER_SCRIPT = textwrap.dedent("""
    import sys
    from contextlib import nullcontext
    from hub.db.engine import Database
    from jobs import leases

    db = Database(sys.argv[1])
    beat = float(sys.argv[2])
    for job in sys.argv[3:]:
        assert leases.acquire(db, job, "*", "child", 300)
    if beat:
        from jobs.heartbeat import heartbeat
        holding = heartbeat(db, beat)
    else:
        holding = nullcontext()
    with holding:
        print("held", flush=True)
        sys.stdin.read()
""")


def _hold(hub: Hub, *jobs: str, beat: float = 0) -> subprocess.Popen[str]:
    """A real process holding the leases of `jobs` (beating every `beat` seconds when set)."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER_SCRIPT, hub.db.url, str(beat), *jobs],
                               cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    ready, _, _ = io_select.select([process.stdout], [], [], 60)
    if not (ready and process.stdout.readline().strip() == "held"):
        process.kill()
        process.wait(10)
        raise AssertionError("the holder process never took its leases")
    return process


def _kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


@pytest.fixture
def holder_process(hub: Hub) -> Iterator[subprocess.Popen[str]]:
    process = _hold(hub, "crash.job")
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


@pytest.fixture
def beating_holder(hub: Hub) -> Iterator[subprocess.Popen[str]]:
    process = _hold(hub, "crash.job", beat=0.05)
    try:
        yield process
    finally:
        process.kill()
        process.wait(10)


def _lease(hub: Hub, job: str) -> JobLease:
    with hub.db.transaction() as session:
        return session.execute(select(JobLease).where(JobLease.job == job, JobLease.scope == "*")).scalar_one()


def test_a_killed_holders_lease_is_taken_over_at_once(hub: Hub, holder_process: subprocess.Popen[str]) -> None:
    assert not leases.acquire(hub.db, "crash.job", "*", "me", TTL)  # it lives: it keeps the lease
    _kill(holder_process)
    # No waiting out HUB_JOB_LEASE_SECONDS: the next run goes ahead right away.
    ran: list[int | None] = []
    spec = JobSpec("crash.job", lambda _hub, scope: ran.append(scope) or {"n": 1}, interval_seconds=60,
                   per_store=False)
    assert run_job(hub, spec).status == "ok"
    assert ran == [None]


def test_a_live_holder_keeps_beating_and_keeps_its_lease(hub: Hub,
                                                         beating_holder: subprocess.Popen[str]) -> None:
    first = _lease(hub, "crash.job")
    assert first.holder_pid == beating_holder.pid and first.heartbeat_at is not None
    deadline = time.monotonic() + 30
    while _lease(hub, "crash.job").heartbeat_at == first.heartbeat_at:  # wait for an observed beat
        assert time.monotonic() < deadline, "the holder's heartbeat never advanced"
        time.sleep(0.02)
    assert not leases.acquire(hub.db, "crash.job", "*", "me", TTL, heartbeat_seconds=0.05)
    assert _lease(hub, "crash.job").holder == "child"


def test_a_reused_pid_is_not_the_old_holder(hub: Hub) -> None:
    me = Holder.current()
    assert me.started is not None, "this platform cannot tell process start times"
    # The lease names our pid but another start time: the process that held it is gone.
    old = Holder(me.host, me.pid, "an-earlier-process")
    assert leases.acquire(hub.db, "job", "*", "old", TTL, identity=old)
    assert leases.acquire(hub.db, "job", "*", "new", TTL)
    assert _lease(hub, "job").holder == "new"
    # And a live process with its own start time is not taken over.
    assert not leases.acquire(hub.db, "job", "*", "third", TTL)


def test_a_stopped_heartbeat_frees_the_lease_after_a_few_intervals(hub: Hub) -> None:
    elsewhere = Holder("another-host", 4242, "x")  # cannot be judged from here: only its heartbeat counts
    t0 = utcnow()
    assert leases.acquire(hub.db, "job", "*", "far", TTL, t0, identity=elsewhere, heartbeat_seconds=5)
    stale = leases.stale_after(5)
    assert stale == timedelta(seconds=20)
    assert not leases.acquire(hub.db, "job", "*", "near", TTL, t0 + stale - timedelta(seconds=1),
                              heartbeat_seconds=5)
    # A beat renews it; then silence for longer than the window frees it, long before the TTL.
    assert leases.beat(hub.db, elsewhere, t0 + stale) == 1
    assert not leases.acquire(hub.db, "job", "*", "near", TTL, t0 + stale + timedelta(seconds=1),
                              heartbeat_seconds=5)
    assert leases.acquire(hub.db, "job", "*", "near", TTL, t0 + 2 * stale + timedelta(seconds=1),
                          heartbeat_seconds=5)
    assert _lease(hub, "job").holder == "near"


def test_two_contenders_for_a_dead_holders_lease_exactly_one_wins(hub: Hub) -> None:
    jobs = [f"contended.{round_}" for round_ in range(8)]
    _kill(_hold(hub, *jobs))
    for job in jobs:
        barrier = threading.Barrier(2)
        won: list[str] = []

        def contend(name: str, job: str = job, barrier: threading.Barrier = barrier,
                    won: list[str] = won) -> None:
            barrier.wait()
            if leases.acquire(hub.db, job, "*", name, TTL):
                won.append(name)

        threads = [threading.Thread(target=contend, args=(name,)) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(won) == 1, (job, won)
        assert _lease(hub, job).holder == won[0]
