"""A source whose content changed under the same name replaces its old rows.

A rewritten log file, or an S3 log object rewritten under the same key (a new ETag), is a new
identity under an old name. Its batch commits with a `replacements` row for the old identity
(in the same transaction); then every data file of an earlier batch that holds rows of that
name is rewritten without them (each file replaced atomically), and the old identity is
forgotten. A crash in between leaves the row in `replacements`, and the next writer finishes
the work: removing rows that are already gone is a no-op.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from s3sleuth.store.manifest import TABLE_DIRS, Manifest, file_entry

if TYPE_CHECKING:
    import pyarrow as pa


class _Store(Protocol):
    """The store, as this module needs it (it is called by `store.store`)."""

    root: Path

    @property
    def manifest(self) -> Manifest: ...


def _without(path: Path, source: str) -> pa.Table | None:
    """The file's rows not from `source`; None when it holds none of that source's rows."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = pq.read_table(path, columns=["source_file"]).column("source_file")
    if not pc.any(pc.equal(names, source)).as_py():
        return None
    table = pq.read_table(path)
    return table.filter(pc.fill_null(pc.not_equal(table.column("source_file"), source), True))


def remove_rows(store: _Store, source: str, keep_batch: str) -> int:
    """Rewrite every data file outside `keep_batch` without `source`'s rows; how many went."""
    import pyarrow.parquet as pq

    recorded = {entry.path for entry, _ in store.manifest.files()}
    removed = 0
    for table in TABLE_DIRS:
        for path in sorted((store.root / table).rglob("*.parquet")):
            if keep_batch in path.name:
                continue
            kept = _without(path, source)
            if kept is None:
                continue
            removed += pq.ParquetFile(path).metadata.num_rows - kept.num_rows
            name = str(path.relative_to(store.root))
            if kept.num_rows == 0:
                path.unlink()
                store.manifest.forget_file(name)
                continue
            tmp = path.with_name(path.name + ".tmp")
            pq.write_table(kept, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
            if name in recorded:
                store.manifest.update_file(file_entry(path, name))
    return removed


def apply(store: _Store) -> None:
    """Finish every pending replacement. Call with the writer lock held."""
    for identity, source, batch_id in store.manifest.replacements():
        remove_rows(store, source, batch_id)
        store.manifest.finish_replacement(identity, source)
