"""Athena (Trino) SQL to DuckDB and Spark: sqlglot's translation (`sql.rewrite`), cached.

Translating takes sqlglot's import (~60 ms) and a parse (~25 ms for a diagnosis), a large part
of a short command. The same SQL comes back again and again (a script's query, the diagnoses'
own statements), so translations are kept on disk, keyed by the text, both dialects and the
versions of s3sleuth and sqlglot; a command whose statements are all known does not import
sqlglot at all. `S3SLEUTH_CACHE_DIR` moves the cache (default `$XDG_CACHE_HOME/s3sleuth`,
else `~/.cache/s3sleuth`); `S3SLEUTH_CACHE_DIR=off` turns it off. An unreadable or unwritable
cache is the same as none.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from functools import cache
from pathlib import Path

from s3sleuth.errors import QueryError
from s3sleuth.sql.dialects import DIALECTS

CACHE_ENV = "S3SLEUTH_CACHE_DIR"
KEEP = 4000  # translations kept; the oldest go when a write finds more
_memory: dict[str, list[str]] = {}


def cache_dir() -> Path | None:
    explicit = os.environ.get(CACHE_ENV)
    if explicit == "off":
        return None
    if explicit:
        return Path(explicit) / "sql"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "s3sleuth" / "sql"


@cache
def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from s3sleuth import __version__

    try:
        return f"{__version__}/{version('sqlglot')}"
    except PackageNotFoundError:
        return f"{__version__}/unknown"


def _key(sql: str, target: str, source: str, typed_time: bool) -> str:
    text = "\0".join((versions(), source, target, str(typed_time), sql))
    return hashlib.sha256(text.encode()).hexdigest()


def _load(path: Path) -> list[str] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _store(directory: Path, path: Path, statements: list[str]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(statements), encoding="utf-8")
        os.replace(tmp, path)
        if random.random() < 0.01:  # now and then, keep the cache bounded
            entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for old in entries[:-KEEP]:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home: translate every time


def translate(
    sql: str, target: str = "duckdb", source: str = "athena", *, typed_time: bool = False
) -> list[str]:
    """Translate one or more statements from `source` to `target`."""
    for dialect in (source, target):
        if dialect not in DIALECTS:
            raise QueryError(
                f"unknown SQL dialect {dialect!r}", hint=f"choose one of {', '.join(DIALECTS)}"
            )
    if source == target:
        return [sql]
    key = _key(sql, target, source, typed_time)
    if key in _memory:
        return list(_memory[key])
    directory = cache_dir()
    path = directory / f"{key}.json" if directory is not None else None
    statements = _load(path) if path is not None else None
    if statements is None:
        from s3sleuth.sql.rewrite import rewrite

        statements = rewrite(sql, target, source, typed_time=typed_time)
        if directory is not None and path is not None:
            _store(directory, path, statements)
    if len(_memory) > 1000:  # a long-lived process with ever new SQL
        _memory.clear()
    _memory[key] = statements
    return list(statements)


def joda_to_strftime(pattern: str) -> str:
    from s3sleuth.sql.rewrite import joda_to_strftime as convert

    return convert(pattern)
