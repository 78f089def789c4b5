"""Starts `hub run` again and again, fast: the hub's modules are imported once here, and each start
is a fresh process forked from this one that runs the CLI exactly as `python -m hub run …` would.

The crash test kills those processes with SIGKILL; importing FastAPI, SQLAlchemy and the hub anew
for each of eleven starts would cost more than the flow under test. Nothing in the hub does I/O or
starts a thread at import time, so forking after the imports is safe.

Protocol (one line each way): `start LOGFILE ARG…` → the child's pid; `wait PID` → its exit status.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys

import hub.api.app
import hub.sandbox_mode
import hub.server
import jobs.definitions
import jobs.scheduler
from hub.cli import app

_ = (hub.api.app, hub.sandbox_mode, hub.server, jobs.definitions, jobs.scheduler)  # imported to be inherited


def _child(log: str, argv: list[str]) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test asks for a stack dump when stuck
    code = 0
    try:
        app(argv, prog_name="hub")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    for line in sys.stdin:
        command, *args = line.split()
        if command == "start":
            pid = os.fork()
            if pid == 0:
                _child(args[0], args[1:])
            print(pid, flush=True)
        elif command == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            print(status, flush=True)


if __name__ == "__main__":
    main()
