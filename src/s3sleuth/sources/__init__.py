"""Where log lines come from. Sources are chosen by the form of the SOURCE argument."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from s3sleuth.errors import UsageError
from s3sleuth.sources.local import LocalSource, read_chunks, resolve, spool_stdin

__all__ = ["LocalSource", "read_chunks", "resolve_all"]


def resolve_all(
    specs: Iterable[str], spool_dir: Path, exclude: Path | None = None
) -> list[LocalSource]:
    """Every file named by the SOURCE arguments, each once, in argument order; none under
    `exclude` (the store itself, when a directory being walked holds it)."""
    seen: set[Path] = set()
    skip = exclude.resolve() if exclude is not None else None
    out: list[LocalSource] = []
    for spec in specs:
        if "://" in spec:  # s3:// and cloudwatch:// never get here: the engine reads them
            scheme = spec.split("://", 1)[0]
            raise UsageError(
                f"{scheme}:// sources are not supported by this version",
                hint="use a local path, s3://BUCKET/PREFIX or cloudwatch://LOG_GROUP",
            )
        found = [spool_stdin(spool_dir)] if spec == "-" else resolve(spec)
        for source in found:
            key = source.path.resolve()
            if skip is not None and source.name != "<stdin>" and key.is_relative_to(skip):
                continue
            if key not in seen:
                seen.add(key)
                out.append(source)
    return out
