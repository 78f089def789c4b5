"""Errors a user can fix: every entry point turns them into a clear message, not a traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in input or configuration. `exit_code` is what the CLI exits with."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class NotFound(UserError):
    exit_code = 1


class Conflict(UserError):
    exit_code = 1


class BadRequest(UserError):
    """A request that is wrong as a whole (a forged callback, a garbled cursor): HTTP 400."""
