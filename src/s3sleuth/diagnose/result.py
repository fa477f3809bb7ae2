"""What every diagnosis returns: a `Result`, a sequence of items with `to_dict()`.

`to_dict()` is an item's JSON form (times as ISO 8601 text), exactly what the command line
prints with `--format json`, so `[x.to_dict() for x in store.denied()]` is that output.
`columns` names what a terminal table shows; `sql` is the Athena SQL behind the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

if TYPE_CHECKING:
    import pyarrow as pa

from s3sleuth.values import Rows, jsonable


class Item(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


T = TypeVar("T", bound=Item)


class Row(dict[str, Any]):
    """One row of a diagnosis, keyed by column name."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = jsonable(dict(self))
        return out


class Result(Sequence[T], Generic[T]):
    def __init__(self, items: Sequence[T], *, sql: str = "", columns: Sequence[str] = ()) -> None:
        self.items = list(items)
        self.sql = sql.strip()
        self.columns = tuple(columns)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self)} items>"

    def to_dicts(self) -> list[dict[str, Any]]:
        return [item.to_dict() for item in self.items]

    def to_arrow(self) -> pa.Table:
        import pyarrow as pa

        rows = self.to_dicts()
        return pa.Table.from_pylist(rows) if rows else pa.table({})


def as_rows(records: list[dict[str, Any]]) -> Rows:
    """Records as `Rows` (every key any record has, in order of appearance); a column is
    numeric when its values are integers."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    data = [tuple(record.get(c) for c in columns) for record in records]
    numeric = []
    for i in range(len(columns)):
        values = [row[i] for row in data if row[i] is not None]
        numeric.append(bool(values) and all(type(v) is int for v in values))
    return Rows(columns, numeric, data)


def rows(records: list[dict[str, Any]]) -> list[Row]:
    return [Row(r) for r in records]
