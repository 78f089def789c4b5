"""The queue table: every job and outbox kind has its queue; `--queues` is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.domain.outbox_kinds import OutboxKind
from hub.tasks.app import make_app, publish_wakeups, queue_name
from hub.tasks.queues import JOB_QUEUES, QUEUES, parse_queues, queue_for_job, queue_for_kind
from jobs.definitions import register_all
from jobs.registry import registry
from tests.conftest import make_settings

PLACE_KIND, CANCEL_KIND, FULFIL_KIND = (OutboxKind.PLACE.value, OutboxKind.CANCEL.value,
                                        OutboxKind.FULFIL.value)


def test_every_registered_job_is_in_the_queue_table(tmp_path: Path) -> None:
    register_all(make_settings(tmp_path))
    assert sorted(set(registry.names()) - set(JOB_QUEUES)) == []
    assert set(JOB_QUEUES.values()) <= set(QUEUES)


def test_every_outbox_kind_has_a_queue() -> None:
    assert {queue_for_kind(kind.value) for kind in OutboxKind} <= set(QUEUES)


@pytest.mark.parametrize(("kind", "queue"), [(PLACE_KIND, "placement"), (CANCEL_KIND, "placement"),
                                             (FULFIL_KIND, "store_sync"), ("supplier.new_call", "placement"),
                                             ("store.new_push", "store_sync")])
def test_outbox_kinds_go_to_the_queue_of_whom_they_call(kind: str, queue: str) -> None:
    assert queue_for_kind(kind) == queue


def test_jobs_go_to_their_kind_of_work() -> None:
    assert queue_for_job("orders.route") == "routing"
    assert queue_for_job("orders.pull") == "intake"
    assert queue_for_job("ledger.orders") == "money"
    assert queue_for_job("suppliers.pull_feed") == "feeds"


@pytest.mark.parametrize(("text", "expected"), [(None, list(QUEUES)), ("", list(QUEUES)),
                                                ("placement", ["placement"]),
                                                (" intake , routing,intake", ["intake", "routing"])])
def test_parse_queues(text: str | None, expected: list[str]) -> None:
    assert parse_queues(text) == expected


@pytest.mark.parametrize("text", ["bogus", "intake,bogus", ",,"])
def test_parse_queues_names_the_unknown(text: str) -> None:
    with pytest.raises(ValueError, match="known: intake"):
        parse_queues(text)


def test_the_app_acknowledges_late_one_task_at_a_time_on_prefixed_queues(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, broker_queue_prefix="shop1.")
    app = make_app("redis://127.0.0.1:1/0", settings)
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert sorted(queue.name for queue in app.conf.task_queues) == sorted(f"shop1.{q}" for q in QUEUES)
    assert queue_name(app, "placement") == "shop1.placement"
    assert {"hub.deliver", "hub.job", "hub.react", "hub.intake"} <= set(app.tasks)


class _Broker:
    """Stands in for the broker connection: records what would be sent."""

    def __init__(self, app: object) -> None:
        self.sent: list[tuple[str, list[object], str]] = []
        self.conf = app.conf  # type: ignore[attr-defined]

    def send_task(self, name: str, args: list[object], queue: str) -> None:
        self.sent.append((name, args, queue))


def test_wakeups_become_id_only_tasks_on_their_queues(tmp_path: Path) -> None:
    broker = _Broker(make_app("redis://127.0.0.1:1/0", make_settings(tmp_path)))
    publish_wakeups(broker, [("outbox", (7, PLACE_KIND)), ("orders", (3, 4)), ("delivery", (11,)),
                             ("outbox", (8, FULFIL_KIND)), ("orders", (5,)), ("delivery", (12,))])  # type: ignore[arg-type]
    assert broker.sent == [("hub.intake", [[11, 12]], "intake"), ("hub.react", [[3, 4, 5]], "routing"),
                           ("hub.deliver", [7], "placement"), ("hub.deliver", [8], "store_sync")]
