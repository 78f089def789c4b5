"""`hub run --sandbox` as a user runs it (`make run`), stopped and started again, and killed.

1. Stopped (SIGTERM) and started again on the same database and var dir, it goes on: no order id
   or webhook id reused, no order in the hub twice, nothing the shop fulfilled reverts, and the
   suppliers still know every order they were sent.
2. SIGKILLed ten times while the flow is under way (each kill right after an observed step: an
   order arrived, an order was routed, a supplier order placed, a parcel recorded or fulfilled;
   the step drawn from a seeded random) and restarted each time, it ends in the same state as an
   uninterrupted run of the same scenario: every shop order once in the hub, one supplier order
   per (order, supplier) at the suppliers, every parcel fulfilled once at the shop, the same
   ledger and profit for every order.

The scenario ends by itself: the shop holds a few seeded orders, sells a fixed number more, then
stops; the jobs run every second or faster. The crash run's processes are forked from a process
that imported the hub once (tests/e2e/hub_launcher.py), so eleven starts cost seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import random
import signal
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.db.models import Order, Supplier, SupplierOrder, WebhookDelivery
from tests.e2e.sandbox_run import HubRun, Launcher, scenario_env, upgrade

pytestmark = pytest.mark.slow

HISTORY = 3
NEW_ORDERS = 20
KILLS = 10
SEED = 20261203
STOPPED = (0, -signal.SIGTERM)  # uvicorn shuts down cleanly, then re-raises the signal it caught
STAGES = ("orders", "routed", "placed", "shipped", "fulfilled")  # the order the work flows in


def _pid_alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    if _pid_alive(pid):
        os.kill(pid, sig)


@pytest.fixture
def runs(tmp_path: Path) -> Iterator[list[HubRun]]:
    """Every HubRun a test makes, closed (processes killed, engines disposed) at the end."""
    made: list[HubRun] = []
    yield made
    for run in made:
        run.close()


def _shop_view(run: HubRun) -> dict[str, tuple[str, str]]:
    """Order name → (shop order id, fulfillment status) as the shop answers now."""
    return {name: (o.id, o.fulfillment_status) for name, o in run.shop_orders().items()}


def _hub_view(run: HubRun) -> dict[str, tuple[str, str]]:
    with run.db.transaction() as s:
        rows = s.execute(select(Order.name, Order.external_id, Order.fulfillment_status)).all()
    names = [name for name, _, _ in rows]
    ids = [external_id for _, external_id, _ in rows]
    assert len(set(names)) == len(names), "an order name is in the hub twice"
    assert len(set(ids)) == len(ids)
    return {name: (external_id, status) for name, external_id, status in rows}


def _assert_nothing_reverted(before: dict[str, tuple[str, str]], now: dict[str, tuple[str, str]], who: str) -> None:
    for name, (external_id, status) in before.items():
        assert name in now, f"{who}: order {name} is gone"
        assert now[name][0] == external_id, f"{who}: order {name} changed its id {external_id} → {now[name][0]}"
        if status.lower() == "fulfilled":
            assert now[name][1].lower() == "fulfilled", f"{who}: order {name} was fulfilled, now {now[name][1]}"
        if status.lower() != "unfulfilled":  # partly fulfilled never goes back to nothing
            assert now[name][1].lower() != "unfulfilled", f"{who}: order {name} was {status}, now unfulfilled"


def _created_by_webhook(run: HubRun) -> set[str]:
    """Shop order ids whose orders/create webhook the hub stored."""
    with run.db.transaction() as s:
        bodies = s.execute(select(WebhookDelivery.body).where(WebhookDelivery.topic == "orders/create")).scalars()
        return {str(json.loads(body)["id"]) for body in bodies}


def test_make_run_stopped_and_started_again_goes_on(db_url: str, tmp_path: Path, runs: list[HubRun]) -> None:
    env = scenario_env(tmp_path, db_url, HISTORY, new_orders=1000)  # keeps selling
    upgrade(db_url)
    run = HubRun(tmp_path, db_url, env)
    runs.append(run)
    run.start_plain()
    run.wait_ready(run.alive)
    run.wait_for(lambda: (p := run.progress())["fulfilled"] >= 2 and p["orders"] >= HISTORY + 5, run.alive, 60,
                 "orders fulfilled")
    shop_before, hub_before = _shop_view(run), _hub_view(run)
    with run.db.transaction() as s:
        placed = list(s.execute(select(Supplier.code, SupplierOrder.reference).join(
            Supplier, Supplier.id == SupplierOrder.supplier_id).where(SupplierOrder.placed_at.is_not(None))).all())
    assert run.stop_plain(signal.SIGTERM) in STOPPED, run.tail()

    run.start_plain()
    run.wait_ready(run.alive)
    last = max(int(name.lstrip("#")) for name in hub_before)
    newer = f"#{last + 3}"
    run.wait_for(lambda: newer in _hub_view(run), run.alive, 60, f"order {newer} after the restart")
    shop_after, hub_after = _shop_view(run), _hub_view(run)
    _assert_nothing_reverted(shop_before, shop_after, "the shop")
    _assert_nothing_reverted(hub_before, hub_after, "the hub")
    assert any(status != "UNFULFILLED" for _, status in shop_before.values())  # there was something to revert
    ids = [external_id for external_id, _ in shop_after.values()]
    assert len(set(ids)) == len(ids) == len(shop_after)
    assert {name for name in hub_after} <= set(shop_after)
    fresh = [hub_after[f"#{n}"][0] for n in range(last + 1, last + 4)]
    assert not set(fresh) & {external_id for external_id, _ in hub_before.values()}
    # Their orders/create webhooks came through as new deliveries (with ids never used), not as replays.
    run.wait_for(lambda: set(fresh) <= _created_by_webhook(run), run.alive, 30, "webhooks of the new orders")
    for code, reference in placed:  # the suppliers remember what they were sent before the restart
        answer = httpx.get(f"{run.url}/sandbox/suppliers/{code}/orders/{reference}", timeout=10)
        assert answer.status_code == 200, (code, reference, answer.text)
    assert run.stop_plain(signal.SIGTERM) in STOPPED


def test_ten_kills_mid_flow_end_in_the_same_state_as_an_uninterrupted_run(db_url: str, tmp_path: Path,
                                                                         runs: list[HubRun]) -> None:
    total = HISTORY + NEW_ORDERS
    (tmp_path / "crash").mkdir()
    (tmp_path / "calm").mkdir()
    crash_env = scenario_env(tmp_path / "crash", db_url, HISTORY, NEW_ORDERS)
    calm_url = f"sqlite:///{tmp_path / 'calm' / 'hub.db'}"
    calm_env = scenario_env(tmp_path / "calm", calm_url, HISTORY, NEW_ORDERS)
    for env in (crash_env, calm_env):  # selling over ~20 s, so ten kills (a restart each) land mid-flow
        env["HUB_SANDBOX_ORDERS_PER_MINUTE"] = "60"   # on an idle machine too (at 120 the flow could end first)
    upgrade(db_url)
    upgrade(calm_url)
    crash, calm = HubRun(tmp_path / "crash", db_url, crash_env), HubRun(tmp_path / "calm", calm_url, calm_env)
    runs += [crash, calm]
    calm.start_plain()  # the uninterrupted run goes on meanwhile
    launcher = Launcher(crash_env, tmp_path / "crash")
    rng = random.Random(SEED)
    pid = 0
    shop_seen: dict[str, tuple[str, str]] = {}
    hub_seen: dict[str, tuple[str, str]] = {}
    kills: list[str] = []
    try:
        for _ in range(KILLS):
            pid = launcher.start(crash.log, *crash.argv())
            alive = partial(_pid_alive, pid)
            crash.wait_ready(alive)
            shop_now, hub_now = _shop_view(crash), _hub_view(crash)
            _assert_nothing_reverted(shop_seen, shop_now, "the shop")
            _assert_nothing_reverted(hub_seen, hub_now, "the hub")
            shop_seen, hub_seen = shop_now, hub_now
            stage = rng.choice(_stages_with_work(crash, total))
            reached = crash.progress()[stage]
            crash.wait_for(partial(_grew, crash, stage, reached), alive, 60, f"progress in '{stage}'")
            assert crash.unsettled(total), "the flow ended before this kill: make the scenario longer"
            _kill(pid)
            launcher.reap(pid)
            kills.append(stage)
        pid = launcher.start(crash.log, *crash.argv())
        alive = partial(_pid_alive, pid)
        crash.wait_ready(alive)
        try:
            crash.settle(total, alive)
        except AssertionError:
            os.kill(pid, signal.SIGUSR1)  # every thread's stack into the run's log, to see what hangs
            raise
        _assert_nothing_reverted(shop_seen, _shop_view(crash), "the shop")
        crashed = crash.final_state()
        calm.wait_ready(calm.alive)
        calm.settle(total, calm.alive)
        uninterrupted = calm.final_state()
    finally:
        if pid:
            _kill(pid)
            launcher.reap(pid)
        launcher.close()
    assert len(kills) == KILLS and len(set(kills)) >= 3, kills
    assert len(crashed) == total
    _assert_same(crashed, uninterrupted)


def _grew(run: HubRun, stage: str, reached: int) -> bool:
    return run.progress()[stage] > reached


def _stages_with_work(run: HubRun, total: int) -> list[str]:
    """The stages whose counter can still grow: work waits at that stage or before it."""
    progress = run.progress()
    with run.db.transaction() as s:
        unplaced = s.execute(select(SupplierOrder.id).where(
            SupplierOrder.placed_at.is_(None), SupplierOrder.state.not_in(["failed", "cancelled"]))).first()
        unshipped = s.execute(select(SupplierOrder.id).where(
            SupplierOrder.state.in_(["placing", "placed", "accepted"]))).first()
    waiting = [progress["orders"] < total, progress["routed"] < progress["orders"], unplaced is not None,
               unshipped is not None, progress["fulfilled"] < progress["shipped"]]
    return [stage for n, stage in enumerate(STAGES) if any(waiting[: n + 1])]


def _assert_same(crashed: dict[str, Any], uninterrupted: dict[str, Any]) -> None:
    assert sorted(crashed) == sorted(uninterrupted)
    differing = {name: (crashed[name], uninterrupted[name]) for name in crashed if crashed[name] != uninterrupted[name]}
    assert not differing, f"{len(differing)} orders differ, e.g. {next(iter(differing.items()))}"
