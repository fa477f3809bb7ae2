"""Bringing a store's stored enrichment up to date with the rules (`enrich.VERSION`).

Rows are enriched as they are written. When the rules change, every `access_log` file written
under another version is rewritten with the columns recomputed: one file at a time, to a
temporary name then renamed, so a crash leaves each file either old or new, and the next run
finishes the rest. `STORE/enrichment.version` records that every file is current, so the
check costs one small read. The caller holds the store's writer lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from s3sleuth.views.enrich import METADATA_KEY, STORED_NAMES, VERSION

if TYPE_CHECKING:
    from s3sleuth.store.store import StoreDir

MARKER = "enrichment.version"


def is_current(root: Path) -> bool:
    """Every stored row carries the enrichment of the current rules."""
    try:
        return (root / MARKER).read_text().strip() == VERSION
    except OSError:
        return False


def file_version(path: Path) -> str | None:
    """The rules a file's enrichment was computed with; None when it has none, or when its
    columns are not exactly the current ones in order (which the views rely on, reading the
    files by position; no writer leaves that, but then the file is rewritten all the same)."""
    import pyarrow.parquet as pq

    from s3sleuth.schema import ACCESS_LOG_SCHEMA

    schema = pq.read_schema(path)
    value = (schema.metadata or {}).get(METADATA_KEY)
    if value is None or schema.names != [*ACCESS_LOG_SCHEMA.names, *STORED_NAMES]:
        return None
    return str(value.decode())


def _rewrite(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from s3sleuth.schema import ACCESS_LOG_SCHEMA, constant
    from s3sleuth.store.writer import write_access_log
    from s3sleuth.views.compute import enrich_table

    stored = pq.read_table(path)
    for field in ACCESS_LOG_SCHEMA:  # the current columns, in order (older files: fill in)
        if field.name not in stored.column_names:
            # Files from before `delivery` existed hold text lines: nothing else was read.
            filler = (
                constant("text", stored.num_rows)
                if field.name == "delivery"
                else pa.nulls(stored.num_rows, field.type)
            )
            stored = stored.append_column(field, filler)
    table = enrich_table(stored.select(ACCESS_LOG_SCHEMA.names).cast(ACCESS_LOG_SCHEMA))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        write_access_log(table, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def upgrade(store: StoreDir) -> int:
    """Recompute the enrichment of every file written under other rules; how many were."""
    if is_current(store.root):
        return 0
    from s3sleuth.store.manifest import file_entry

    stale = [p for p in store.parquet_files("access_log") if file_version(p) != VERSION]
    recorded = {entry.path for entry, _ in store.manifest.files()}
    for path in stale:
        _rewrite(path)
        name = str(path.relative_to(store.root))
        if name in recorded:  # the manifest keeps what `verify` checks in step
            store.manifest.update_file(file_entry(path, name))
    marker = store.root / MARKER
    tmp = marker.with_name(MARKER + ".tmp")
    tmp.write_text(VERSION + "\n")
    os.replace(tmp, marker)
    return len(stale)
