"""Does the store hold what its manifest says? (`s3sleuth verify`, `s3sleuth repair`)

The manifest records every data file a batch committed: its size, row count and SHA-256.
`check` compares the files on disk with those records and asks SQLite to check the manifest
itself; `quick` only looks for missing files and changed sizes, cheaply enough to run before
every query. `repair` forgets the batches whose files are missing or damaged (their sources,
so the next ingest reads them again) and removes what is left of those batches, so nothing is
counted twice when they come back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from s3sleuth.store.manifest import TABLE_DIRS, file_entry
from s3sleuth.store.store import StoreDir


@dataclass(frozen=True)
class Problem:
    kind: str  # manifest, missing, size, rows, checksum, unreadable, untracked
    path: str  # relative to the store's root
    detail: str
    batch_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


def quick(store: StoreDir) -> list[Problem]:
    """Missing data files and changed sizes: a stat per recorded file."""
    problems = []
    for entry, batch in store.manifest.files():
        path = store.root / entry.path
        if not path.exists():
            problems.append(Problem("missing", entry.path, "the file is missing", batch))
        elif path.stat().st_size != entry.size:
            size = path.stat().st_size
            detail = f"{size:,} bytes, {entry.size:,} recorded"
            problems.append(Problem("size", entry.path, detail, batch))
    return problems


def check(store: StoreDir, *, checksums: bool = True) -> list[Problem]:
    """Everything `verify` checks: the manifest's integrity, then every recorded file's
    presence, size, row count and checksum, then data files the manifest does not know."""
    integrity = store.manifest.integrity()
    if integrity != "ok":
        return [Problem("manifest", "manifest.sqlite", f"SQLite reports: {integrity}")]
    problems = quick(store)
    bad = {p.path for p in problems}
    records = store.manifest.files()
    for entry, batch in records:
        if entry.path in bad:
            continue
        path = store.root / entry.path
        try:
            found = file_entry(path, entry.path) if checksums else None
        except Exception as err:  # a file Parquet cannot read: report it, check the rest
            problems.append(Problem("unreadable", entry.path, f"not readable: {err}", batch))
            continue
        if found is not None and found.rows != entry.rows:
            detail = f"{found.rows:,} rows, {entry.rows:,} recorded"
            problems.append(Problem("rows", entry.path, detail, batch))
        elif found is not None and found.sha256 != entry.sha256:
            problems.append(Problem("checksum", entry.path, "the content changed", batch))
    if records:  # a store written before files were recorded has nothing to compare
        known = {entry.path for entry, _ in records}
        for table in TABLE_DIRS:
            for path in sorted((store.root / table).rglob("*.parquet")):
                name = str(path.relative_to(store.root))
                if name not in known:
                    detail = "a data file the manifest does not know (counted by queries)"
                    problems.append(Problem("untracked", name, detail))
    return problems


def repair(store: StoreDir, problems: list[Problem]) -> list[str]:
    """Forget the batches behind `problems`, delete their remaining files (and untracked
    files); the sources the next ingest will read again."""
    batches = {p.batch_id for p in problems if p.batch_id}
    doomed = [e.path for e, batch in store.manifest.files() if batch in batches]
    doomed += [p.path for p in problems if p.kind == "untracked"]
    sources = store.manifest.forget_batches(batches) if batches else []
    for name in doomed:
        Path(store.root / name).unlink(missing_ok=True)
    return sources
