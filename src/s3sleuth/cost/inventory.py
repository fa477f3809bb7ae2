"""S3 Inventory reports, read into one table: bucket, key, size, storage_class.

A report is a `manifest.json` (its `fileSchema` names the CSV columns; its `files` are the
data files, found beside it or under the report's destination prefix) or the data files
themselves: Parquet (named columns) or CSV (`.csv`, `.csv.gz`; no header row, so without a
manifest the columns are taken to be the default `Bucket, Key, Size, LastModifiedDate,
StorageClass`, and a third column that is not a size is an error naming the manifest). CSV
keys are URL-encoded by S3 Inventory and are decoded here.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from s3sleuth.errors import SourceError

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_SCHEMA = ("Bucket", "Key", "Size", "LastModifiedDate", "StorageClass")
COLUMNS = ("bucket", "key", "size", "storage_class")
_HINT = "give S3 Inventory's manifest.json, or its CSV or Parquet data files"


def _error(path: Path, what: str) -> SourceError:
    return SourceError(f"inventory {path}: {what}", hint=_HINT)


def _data_file(manifest: Path, key: str) -> Path:
    """A data file a manifest names by its key in the destination bucket: beside the
    manifest, under `data/` of an ancestor, or at that key below an ancestor."""
    name = Path(key).name
    candidates = [manifest.parent / name]
    for ancestor in manifest.parents:
        candidates += [ancestor / key, ancestor / "data" / name]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise _error(manifest, f"its data file {key} is not beside it or under its prefix")


def _from_manifest(path: Path) -> Iterator[tuple[Path, tuple[str, ...]]]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        schema = tuple(c.strip() for c in manifest.get("fileSchema", "").split(","))
        files = [f["key"] for f in manifest["files"]]
        fmt = str(manifest.get("fileFormat", "CSV")).upper()
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise _error(path, f"not an S3 Inventory manifest ({err})") from None
    if fmt not in ("CSV", "PARQUET"):
        raise _error(path, f"{fmt} reports are not read; choose CSV or Parquet")
    for key in files:
        yield _data_file(path, key), schema


def _csv_rows(path: Path, schema: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    names = [c.lower().replace("_", "") for c in schema]
    where: dict[str, int] = {
        c: names.index(c) for c in ("bucket", "key", "size", "storageclass") if c in names
    }
    if "bucket" not in where or "key" not in where:
        raise _error(path, "its schema names no Bucket and Key columns")
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as text:
            for number, fields in enumerate(csv.reader(text), 1):
                yield _csv_row(path, number, fields, where)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error) as err:
        raise _error(path, f"cannot read it ({err})") from None


def _csv_row(path: Path, number: int, fields: list[str], where: dict[str, int]) -> dict[str, Any]:
    def field(name: str) -> str | None:
        i = where.get(name)
        return fields[i] if i is not None and i < len(fields) and fields[i] != "" else None

    size = field("size")
    if size is not None and not size.isdigit():
        raise _error(path, f"line {number}: size {size!r} is not a number (give the manifest)")
    return {
        "bucket": field("bucket"),
        "key": unquote_plus(field("key") or ""),
        "size": int(size) if size is not None else None,
        "storage_class": field("storageclass"),
    }


def _parquet(path: Path) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as err:
        raise _error(path, f"cannot read it as Parquet ({err})") from None
    if not {"bucket", "key"} <= set(table.column_names):
        raise _error(path, "its Parquet columns include no bucket and key")
    columns = {}
    for name in COLUMNS:
        if name in table.column_names:
            columns[name] = table[name].cast(pa.int64() if name == "size" else pa.string())
        else:
            columns[name] = pa.nulls(table.num_rows, pa.int64() if name == "size" else pa.string())
    return pa.table(columns)


def _files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, tuple[str, ...]]]:
    for given in paths:
        path = Path(given)
        if not path.is_file():
            raise _error(path, "no such file")
        if path.name.endswith(".json"):
            yield from _from_manifest(path)
        else:
            yield path, DEFAULT_SCHEMA


def read(paths: Iterable[str | Path]) -> pa.Table:
    """Every object the reports list, as one Arrow table of `COLUMNS`."""
    import pyarrow as pa

    schema = pa.schema(
        [("bucket", pa.string()), ("key", pa.string()), ("size", pa.int64()),
         ("storage_class", pa.string())]
    )  # fmt: skip
    tables = []
    for path, columns in _files(paths):
        with path.open("rb") as probe:
            magic = probe.read(4)
        if magic == b"PAR1":
            tables.append(_parquet(path).cast(schema))
        else:
            rows = list(_csv_rows(path, columns))
            tables.append(pa.Table.from_pylist(rows, schema=schema))
    return pa.concat_tables(tables) if tables else schema.empty_table()


__all__ = ["COLUMNS", "read"]
