"""At most one run of a job per store at a time, across threads (each with its own connection)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.base import utcnow
from hub.db.models import JobRun
from jobs import leases
from jobs.registry import JobSpec
from jobs.runner import run_job


def test_two_simultaneous_runs_one_runs_the_other_skips(hub: Hub) -> None:
    started = threading.Event()
    finish = threading.Event()
    calls: list[int | None] = []

    def body(_hub: Hub, store_id: int | None) -> dict[str, int]:
        calls.append(store_id)
        started.set()
        assert finish.wait(20), "the test never released the running job"
        return {"items": 3}

    spec = JobSpec("test.blocking", body, interval_seconds=60)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        barrier.wait()
        outcomes.append(run_job(hub, spec, 7).status)
        finish.set()  # whichever returns first (the skipper) lets the runner finish

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["ok", "skipped"]
    assert calls == [7]
    with hub.db.transaction() as session:
        runs = session.execute(select(JobRun)).scalars().all()
    assert [(r.job, r.store_id, r.status, r.counts) for r in runs] == [("test.blocking", 7, "ok", {"items": 3})]
    assert runs[0].finished_at is not None and runs[0].finished_at >= runs[0].started_at

    # The lease is free again: the next run goes ahead.
    assert run_job(hub, spec, 7).status == "ok"


def test_other_store_runs_concurrently_and_expired_lease_is_taken_over(hub: Hub) -> None:
    assert leases.acquire(hub.db, "job", "1", "holder-a", ttl_seconds=60)
    assert not leases.acquire(hub.db, "job", "1", "holder-b", ttl_seconds=60)
    assert leases.acquire(hub.db, "job", "2", "holder-b", ttl_seconds=60)
    later = utcnow() + timedelta(seconds=61)
    assert leases.acquire(hub.db, "job", "1", "holder-b", ttl_seconds=60, now=later)
    leases.release(hub.db, "job", "1", "holder-a")  # a stale holder cannot release the new one
    assert not leases.acquire(hub.db, "job", "1", "holder-c", ttl_seconds=60, now=later)


def test_a_failing_job_records_its_error_and_frees_the_lease(hub: Hub) -> None:
    def broken(_hub: Hub, _store: int | None) -> dict[str, int]:
        raise RuntimeError("supplier said no")

    spec = JobSpec("test.broken", broken, interval_seconds=60, per_store=False)
    outcome = run_job(hub, spec)
    assert outcome.status == "error" and "supplier said no" in (outcome.error or "")
    with hub.db.transaction() as session:
        run = session.execute(select(JobRun)).scalar_one()
    assert run.status == "error" and run.error is not None and "RuntimeError" in run.error
    assert leases.acquire(hub.db, "test.broken", "*", "someone", ttl_seconds=5)
