from __future__ import annotations

from hub.bootstrap import Hub
from hub.db.models import Store
from jobs.registry import JobRegistry, JobSpec
from jobs.scheduler import build_scheduler, tick


def _store(name: str, platform: str = "shopify", status: str = "active") -> Store:
    return Store(platform=platform, name=name, shop_domain=f"{name}.myshopify.com", currency="USD",
                 status=status, settings={})


def test_per_store_job_fans_out_over_active_stores_of_its_platform(sqlite_hub: Hub) -> None:
    with sqlite_hub.db.transaction() as session:
        active, _gone, _manual = _store("a"), _store("b", status="disconnected"), _store("c", "manual")
        session.add_all([active, _gone, _manual])
        session.flush()
        active_id = active.id
    seen: list[int | None] = []
    spec = JobSpec("test.fanout", lambda _h, store: seen.append(store) or {}, interval_seconds=60)
    tick(sqlite_hub, spec)
    assert seen == [active_id]


def test_scheduler_has_one_trigger_per_registered_job(sqlite_hub: Hub) -> None:
    registry = JobRegistry()
    registry.register(JobSpec("a", lambda _h, _s: {}, 60))
    registry.register(JobSpec("b", lambda _h, _s: {}, 5, per_store=False))
    scheduler = build_scheduler(sqlite_hub, registry)
    assert sorted(job.id for job in scheduler.get_jobs()) == ["a", "b"]
