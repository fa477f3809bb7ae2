"""`usage`: who reads which data, and (with S3 Inventory) which data nobody read.

A download is a successful object read: `REST.GET.OBJECT` or `WEBSITE.GET.OBJECT` answered
200 or 206 (a ranged read). Rows are per key, key prefix (`--depth` folders), principal or
client, with distinct principals and source addresses, bytes sent, and first and last access.
With inventory reports, the objects they list that were never read in the window join the
answer (`last_access` NULL), with their size and storage class: the cold data a lifecycle
rule could move.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from s3sleuth.cost.estimate import grouping, prefix_sql
from s3sleuth.diagnose.principal import principal_arn_sql
from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.errors import UsageError
from s3sleuth.window import Window

BY = ("key", "prefix", "principal", "client")
READS = "operation IN ('REST.GET.OBJECT', 'WEBSITE.GET.OBJECT') AND http_status IN (200, 206)"
_PRINCIPAL = f"coalesce({principal_arn_sql()}, 'anonymous')"


def usage_sql(window: Window, by: str = "prefix", depth: int = 1) -> str:
    """The Athena SQL behind the downloads."""
    keys = grouping(by, depth, BY)
    select = ", ".join(e if e == n else f"{e} AS {n}" for n, e in keys.items())
    group = ", ".join(keys.values())
    return f"""
SELECT {select}, count(*) AS downloads,
  count(DISTINCT {_PRINCIPAL}) AS principals, count(DISTINCT remote_ip) AS addresses,
  CAST(sum(coalesce(bytes_sent, 0)) AS bigint) AS bytes_sent,
  min(time) AS first_access, max(time) AS last_access
FROM access_log
WHERE {READS} AND {window.where()}
GROUP BY {group}
ORDER BY downloads DESC, bytes_sent DESC, {", ".join(keys)}"""


def cold_sql(window: Window, by: str, depth: int) -> str:
    """DuckDB SQL over the registered `inventory`: per key or prefix, the objects listed and
    the ones never read in the window."""
    read_keys = f"SELECT DISTINCT bucket, key FROM access_log WHERE {READS} AND {window.where()}"
    if by == "key":
        return f"""
SELECT i.bucket, i.key, i.size, i.storage_class
FROM inventory i LEFT JOIN ({read_keys}) r ON r.bucket = i.bucket AND r.key = i.key
WHERE r.key IS NULL
ORDER BY i.size DESC NULLS LAST, i.bucket, i.key"""
    prefix = prefix_sql(depth).replace("key", "i.key")
    return f"""
SELECT i.bucket, {prefix} AS prefix, count(*) AS objects,
  CAST(sum(CASE WHEN r.key IS NULL THEN 1 ELSE 0 END) AS bigint) AS objects_never_read,
  CAST(sum(CASE WHEN r.key IS NULL THEN coalesce(i.size, 0) ELSE 0 END) AS bigint)
    AS bytes_never_read
FROM inventory i LEFT JOIN ({read_keys}) r ON r.bucket = i.bucket AND r.key = i.key
GROUP BY 1, 2"""


def usage(
    engine: Engine,
    window: Window | None = None,
    *,
    by: str = "prefix",
    depth: int = 1,
    inventory: Iterable[str | Path] = (),
) -> Result[Row]:
    """Downloads per `by` group, most read first; with `inventory`, the cold objects too."""
    window = window or Window()
    sql = usage_sql(window, by, depth)
    found = rows(engine.records(sql))
    reports = list(inventory)
    if not reports:
        return Result(found, sql=sql, columns=_columns(by, False))
    if by not in ("key", "prefix"):
        raise UsageError("{inventory} works with --by key or prefix", params=("inventory",))
    con = getattr(engine, "con", None)
    if con is None:
        raise UsageError("{inventory} needs the duckdb engine", params=("inventory",))
    from s3sleuth.cost.inventory import read

    con.register("inventory", read(reports))
    cold = cold_sql(window, by, depth)
    listed = rows(engine.records(cold))
    out = _with_inventory(found, listed, by)
    return Result(out, sql=f"{sql.strip()};\n\n-- objects never read\n{cold.strip()}",
                  columns=_columns(by, True))  # fmt: skip


def _with_inventory(found: list[Row], listed: list[Row], by: str) -> list[Row]:
    if by == "key":
        for row in found:
            row.update(size=None, storage_class=None)
        never = []
        for item in listed:
            never.append(
                Row(bucket=item["bucket"], key=item["key"], downloads=0, principals=0,
                    addresses=0, bytes_sent=0, first_access=None, last_access=None,
                    size=item["size"], storage_class=item["storage_class"])
            )  # fmt: skip
        return found + never
    per_prefix = {(r["bucket"], r["prefix"]): r for r in listed}
    out = []
    for row in found:
        extra = per_prefix.pop((row["bucket"], row["prefix"]), None)
        row["objects"] = extra["objects"] if extra else None
        row["objects_never_read"] = extra["objects_never_read"] if extra else None
        row["bytes_never_read"] = extra["bytes_never_read"] if extra else None
        out.append(row)
    for (bucket, prefix), extra in sorted(
        per_prefix.items(), key=lambda kv: -kv[1]["bytes_never_read"]
    ):
        out.append(
            Row(bucket=bucket, prefix=prefix, downloads=0, principals=0, addresses=0,
                bytes_sent=0, first_access=None, last_access=None, objects=extra["objects"],
                objects_never_read=extra["objects_never_read"],
                bytes_never_read=extra["bytes_never_read"])
        )  # fmt: skip
    return out


def _columns(by: str, inventory: bool) -> tuple[str, ...]:
    keys = {"key": ("bucket", "key"), "prefix": ("bucket", "prefix"),
            "principal": ("principal_name",), "client": ("client",)}[by]  # fmt: skip
    base = (*keys, "downloads", "principals", "addresses", "bytes_sent", "last_access")
    if not inventory:
        return base
    return (
        *base,
        *(("size", "storage_class") if by == "key" else ("objects_never_read", "bytes_never_read")),
    )
