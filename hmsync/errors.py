"""One exception family; the only place exit codes come from."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """Exit codes, the same for every command (see the README)."""

    OK = 0
    ERROR = 1
    CHANGES = 2
    INCOMPLETE = 3
    REFUSED = 4
    INTERRUPTED = 130  # the shells' convention for Ctrl-C


class HmsyncError(Exception):
    """A user-facing error: a one-line message that says where and what to do next."""

    exit_code: Exit = Exit.ERROR

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def lines(self) -> list[str]:
        return [self.message, *(f"  {d}" for d in self.details)]


class InputError(HmsyncError):
    """Bad files, flags or environment."""


class RefusedError(HmsyncError):
    """Refused for safety: deletes not allowed, a limit exceeded, a stale plan."""

    exit_code = Exit.REFUSED


class ApiError(HmsyncError):
    """A call that failed for good: method, URL, status, and the server's message and details."""

    def __init__(
        self,
        method: str,
        url: str,
        status: int | None,
        reason: str,
        details: tuple[str, ...] = (),
        hint: str = "",
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        where = f"{method} {url}: " + (f"{status} " if status is not None else "")
        super().__init__(where + reason + (f"; {hint}" if hint else ""), details)


class ConflictError(ApiError):
    """A write refused for safety: it would overwrite what the plan did not see (exit 4)."""

    exit_code = Exit.REFUSED


class Interrupted(HmsyncError):
    """Ctrl-C during apply: the writes already made are listed, none is started after it."""

    exit_code = Exit.INTERRUPTED
