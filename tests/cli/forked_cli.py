"""Runs the `hub` command again and again, fast: the CLI's modules are imported once here, and each
run is a fresh process forked from this one that runs `main()` exactly as `python -m hub ARGS` does,
with its own environment, working directory, stdin (/dev/null), stdout and stderr (files).

Importing FastAPI, SQLAlchemy, Celery and the hub costs a second or more of CPU per start; the CLI
tests start the command over a hundred times. Nothing in the hub does I/O or starts a thread at
import time, so forking after the imports is safe (as tests/e2e/hub_launcher.py does for `hub run`).

Protocol, one JSON line each way: {"argv", "env", "cwd", "out", "err"} → {"pid"}, then {"status"}.
"""

from __future__ import annotations

import json
import os
import sys

import hub.cli


def _child(request: dict[str, object]) -> None:
    code = 1
    try:
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        for fd, path in ((1, request["out"]), (2, request["err"])):
            target = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(str(request["cwd"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})  # type: ignore[call-overload]
        hub.cli.get_settings.cache_clear()
        sys.argv = [hub.cli.__file__, *[str(a) for a in list(request["argv"])]]  # type: ignore[call-overload]
        code = 0
        hub.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what `python -m hub` would print for a crash
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    main()
