"""Errors with two faces: a one-line human message that says what to do, and structured fields.

Messages speak in library terms; only the CLI turns these into flags, hints and exit codes.
Library callers catch `S3SleuthError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def _same(name: str) -> str:
    return name


class S3SleuthError(Exception):
    """Base class. `str(err)` is the one-line human message.

    A message or hint may name parameters as `{name}` placeholders, listed in `params`: the
    library shows the parameter's name (`since`), and the command line its flag (`--since`),
    through `render`."""

    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        params: Iterable[str] = (),
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.params = tuple(params)
        self.message = self._fill(message, _same)
        self.hint = self._fill(hint, _same) if hint is not None else None
        self._templates = (message, hint)
        self.details = details

    def _fill(self, text: str, name: Callable[[str], str]) -> str:
        for param in self.params:
            text = text.replace("{" + param + "}", name(param))
        return text

    def render(self, name: Callable[[str], str] = _same) -> str:
        """The one-line message, with each parameter shown as `name(parameter)`."""
        message, hint = self._templates
        text = self._fill(message, name)
        return f"{text} ({self._fill(hint, name)})" if hint else text

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.kind, "message": self.message, "hint": self.hint, **self.details}


class UsageError(S3SleuthError):
    """A bad argument: the user can fix it by changing the command line."""

    kind = "usage"


class SourceError(S3SleuthError):
    """A source could not be read (missing file, unreadable directory, ...)."""

    kind = "source"
    transient = False  # a network failure that outlasted its retries: try again later


class QueryError(S3SleuthError):
    """SQL that could not be translated or run."""

    kind = "query"


class StoreError(S3SleuthError):
    """The store is missing, locked or damaged."""

    kind = "store"


class DamagedStoreError(StoreError):
    """A file of the store that the store cannot read (its manifest)."""

    kind = "damaged-store"


class MissingExtraError(S3SleuthError):
    """An optional dependency is not installed."""

    kind = "missing-extra"

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"{module} is not installed",
            hint=f"pip install -e '.[{extra}]' in the s3sleuth clone",
            module=module,
            extra=extra,
        )
