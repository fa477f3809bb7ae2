"""Errors with two faces: a one-line human message that says what to do, and structured fields.

Messages speak in library terms; only the CLI turns these into flags, hints and exit codes.
Library callers catch `S3SleuthError`.
"""

from __future__ import annotations

from typing import Any


class S3SleuthError(Exception):
    """Base class. `str(err)` is the one-line human message."""

    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.kind, "message": self.message, "hint": self.hint, **self.details}


class UsageError(S3SleuthError):
    """A bad argument: the user can fix it by changing the command line."""

    kind = "usage"


class SourceError(S3SleuthError):
    """A source could not be read (missing file, unreadable directory, ...)."""

    kind = "source"


class QueryError(S3SleuthError):
    """SQL that could not be translated or run."""

    kind = "query"


class StoreError(S3SleuthError):
    """The store is missing, locked or damaged."""

    kind = "store"


class MissingExtraError(S3SleuthError):
    """An optional dependency is not installed."""

    kind = "missing-extra"

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed",
            hint=f"pip install 's3sleuth[{extra}]'",
            module=module,
            extra=extra,
        )
