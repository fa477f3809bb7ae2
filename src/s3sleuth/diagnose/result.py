"""What every diagnosis returns: a `Result`, a sequence of items with `to_dict()`.

`to_dict()` is an item's JSON form (times as ISO 8601 text), exactly what the command line
prints with `--format json`, so `[x.to_dict() for x in store.denied()]` is that output.
`columns` names what a terminal table shows; `sql` is the Athena SQL behind the rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar, overload

import pyarrow as pa

from s3sleuth.values import jsonable


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
        rows = self.to_dicts()
        return pa.Table.from_pylist(rows) if rows else pa.table({})


def rows(table: pa.Table) -> list[Row]:
    return [Row(r) for r in table.to_pylist()]
