""""Run now" (jobs.manual): without a broker a background thread runs the firing as the embedded
scheduler's tick does (a run recorded per scope, under its lease); with one, the firing is
published to the workers exactly as `hub scheduler` fans it out; an unknown name is NotFound."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.models import JobRun
from hub.errors import NotFound
from jobs import manual
from jobs.registry import JobSpec, registry
from tests import catalogue_builders as cb


def _counting(calls: list[int | None]) -> JobSpec:
    def body(_hub: Hub, store_id: int | None) -> dict[str, int]:
        calls.append(store_id)
        return {"seen": 1}

    return JobSpec("test.run_now", body, interval_seconds=3600, per_store=True)


def test_in_process_it_runs_per_store_in_the_background(sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int | None] = []
    monkeypatch.setitem(registry._specs, "test.run_now", _counting(calls))
    assert manual.run_now(sqlite_hub, "test.run_now").stores == 0  # no store: nothing to run
    store = cb.store(sqlite_hub.db)
    started = manual.run_now(sqlite_hub, "test.run_now")
    assert started.queued is None and started.thread is not None and started.stores == 1
    started.thread.join(10)
    assert calls == [store]
    with sqlite_hub.db.read() as session:
        runs = session.execute(select(JobRun.job, JobRun.store_id, JobRun.status, JobRun.counts)).all()
    assert [tuple(r) for r in runs] == [("test.run_now", store, "ok", {"seen": 1})]


def test_with_a_broker_it_is_fanned_out_to_the_workers(sqlite_hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int | None] = []
    spec = _counting(calls)
    monkeypatch.setitem(registry._specs, "test.run_now", spec)
    published: list[tuple[Any, str]] = []
    sqlite_hub.settings.broker_url = "redis://127.0.0.1:1/0"
    monkeypatch.setattr("hub.tasks.app.current_app", lambda _settings: "the app")
    monkeypatch.setattr("hub.tasks.scheduler.fan_out",
                        lambda _hub, app, fired: published.append((app, fired.name)) or 2)
    started = manual.run_now(sqlite_hub, "test.run_now")
    assert (started.queued, started.thread) == (2, None)
    assert published == [("the app", "test.run_now")] and calls == []  # the workers run it, not this process


def test_an_unknown_job_is_not_found(sqlite_hub: Hub) -> None:
    with pytest.raises(NotFound, match=r"no job called 'no\.such'"):
        manual.run_now(sqlite_hub, "no.such")
