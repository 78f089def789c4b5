"""Brokers and processes for the Celery tests: `hub run`, `hub worker` and `hub scheduler` as real
processes on PostgreSQL, with Redis or RabbitMQ. A broker that does not answer skips its tests with
the reason; with CI=true it fails them (CI runs both)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BROKERS = {"redis": ("redis://127.0.0.1:6379/0", 6379), "amqp": ("amqp://guest:guest@127.0.0.1:5672//", 5672)}


def broker_url(name: str) -> str:
    url, port = BROKERS[name]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        reason = f"{name} is not answering on 127.0.0.1:{port} ({exc.strerror or exc})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the Celery tests must run)")
        pytest.skip(reason)
    return url


def require_postgres(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("the Celery mode runs on PostgreSQL (several processes write at once)")


def hub_env(db_url: str, broker: str, key: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_DATABASE_URL": db_url, "HUB_SECRET_KEY": key, "HUB_ADMIN_TOKEN": "x",
                "HUB_BROKER_URL": broker, "HUB_BROKER_QUEUE_PREFIX": f"t{uuid.uuid4().hex[:10]}.",
                "HUB_VAR_DIR": str(var_dir), "HUB_JOB_HEARTBEAT_SECONDS": "0.5", "HUB_JOB_LEASE_SECONDS": "10",
                "HUB_ROUTE_INTERVAL_SECONDS": "0.5", "HUB_OUTBOX_INTERVAL_SECONDS": "0.5",
                "HUB_OUTBOX_LEASE_SECONDS": "3", "HUB_RELAY_GRACE_SECONDS": "2", "HUB_LOG_LEVEL": "INFO"})
    env.update(extra)
    return env


@dataclass
class Processes:
    """Started hub processes, each in its own session so a SIGKILL takes its pool children too."""

    env: dict[str, str]
    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}-{len(self.started)}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen([sys.executable, "-m", "hub", *args], env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.started.append(process)
        return process

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(20)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                self.kill(process)

    def tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
                         for log in sorted(self.logs.glob("*.log")))


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Processes]]:
    made: list[Processes] = []

    def make(env: dict[str, str]) -> Processes:
        logs = tmp_path / "logs"
        logs.mkdir(exist_ok=True)
        made.append(Processes(env, logs))
        return made[-1]

    yield make
    for group in made:
        group.stop_all()
        delete_queues(group.env)


def delete_queues(env: dict[str, str]) -> None:
    """Drop the test's own queues (its prefix is unique), so the brokers do not collect them."""
    from kombu import Connection, Queue

    from hub.tasks.queues import QUEUES

    url, prefix = env.get("HUB_BROKER_URL"), env.get("HUB_BROKER_QUEUE_PREFIX")
    if not url or not prefix:
        return
    with contextlib.suppress(Exception), Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        for name in QUEUES:  # emptied first: Redis keeps a deleted queue's messages
            queue = Queue(prefix + name, channel=channel)  # type: ignore[no-untyped-call]
            queue.purge()  # type: ignore[no-untyped-call]
            queue.delete()  # type: ignore[no-untyped-call]
        if url.startswith("redis"):  # and the exchange's bindings, which Redis keeps as keys
            for pattern in (f"_kombu.binding.{prefix}*", f"_kombu.binding_permanent.{prefix}*"):
                for key in channel.client.scan_iter(pattern):
                    channel.client.delete(key)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, on_fail: Callable[[], str]) -> None:
    """Poll an observable state until it holds; fail with the processes' logs when it does not."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{on_fail()}")
        time.sleep(0.1)  # polling the observable state, not pacing the test
