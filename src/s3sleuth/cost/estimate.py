"""`cost`: what the logged traffic costs, estimated from the log alone.

Each request is classed as AWS bills it (`billing`), counted per group, and priced with a
dated price table (`prices`): requests by tier, and internet egress by the bytes sent to
public addresses that are not CloudFront (and, given AWS's ip-ranges.json, not AWS's own).
Who pays: the bucket owner, or the requester for a request that says it pays
(`x-amz-request-payer=requester` in its query) or a bucket named Requester Pays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from s3sleuth.cost.prices import BUILT_IN, Prices
from s3sleuth.diagnose.ip_ranges import IpRanges
from s3sleuth.diagnose.principal import principal_arn_sql
from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.errors import UsageError
from s3sleuth.sql.literal import string_list
from s3sleuth.views.billing import ASSUMPTIONS, internet_sql
from s3sleuth.window import Window

BY = ("principal", "bucket", "prefix", "operation", "client", "network")
GIB = 2**30


def prefix_sql(depth: int) -> str:
    """Athena SQL: the key's first `depth` folders (`a/b/` for `a/b/c/d.txt` at depth 2; ''
    for a key at the bucket's root). Object keys only: NULL for bucket-level requests."""
    return f"regexp_extract(key, '^((?:[^/]*/){{0,{depth}}})', 1)"


def grouping(by: str, depth: int = 1, allowed: tuple[str, ...] = BY) -> dict[str, str]:
    """The output columns of a grouping and their Athena SQL. `by` may join several with
    commas (`principal,bucket`: a row per principal and bucket); `allowed` is what the
    asking command offers (`cost` and `usage` offer different ones)."""
    parts = by.split(",")
    unknown = [part for part in parts if part not in allowed]
    if unknown or not by:
        raise UsageError(
            f"cannot group by {by!r}", hint="{by} takes " + ", ".join(allowed), params=("by",)
        )
    if depth < 1:
        raise UsageError(
            "{depth} must be 1 or more", hint="a prefix of N folders", params=("depth",)
        )
    columns = {
        "principal": {"principal_arn": principal_arn_sql(), "principal_name": "principal_name"},
        "bucket": {"bucket": "bucket"},
        "key": {"bucket": "bucket", "key": "key"},
        "prefix": {"bucket": "bucket", "prefix": prefix_sql(depth)},
        "operation": {"operation": "operation"},
        "client": {"client": "client"},
        "network": {"network_path": "network_path"},
    }
    return {name: sql for part in parts for name, sql in columns[part].items()}


def _payer(requester_pays: Iterable[str]) -> str:
    buckets = sorted(requester_pays)
    named = f" OR bucket IN ({string_list(buckets)})" if buckets else ""
    return (
        "CASE WHEN lower(coalesce(request_uri, '')) LIKE '%x-amz-request-payer=requester%'"
        f"{named} THEN 'requester' ELSE 'owner' END"
    )


def _classed(window: Window, keys: dict[str, str], requester_pays: Iterable[str]) -> str:
    select = ",\n    ".join(f"{expr} AS {name}" for name, expr in keys.items())
    return f"""WITH classed AS (
  SELECT {select},
    {_payer(requester_pays)} AS payer,
    billing_tier AS tier,
    coalesce(bytes_sent, 0) AS bytes, remote_ip,
    {internet_sql()} AS internet
  FROM access_log
  WHERE {window.where()}
)"""


def cost_sql(
    window: Window, by: str = "bucket", depth: int = 1, requester_pays: Iterable[str] = ()
) -> str:
    """The Athena SQL behind the request counts and bytes of each row."""
    keys = grouping(by, depth)
    names = ", ".join([*keys, "payer"])
    counts = ",\n  ".join(
        f"CAST(sum(CASE WHEN tier = '{tier}' THEN 1 ELSE 0 END) AS bigint) AS requests_{tier}"
        for tier in ("tier1", "tier2", "free", "unbilled")
    )
    return f"""
{_classed(window, keys, requester_pays)}
SELECT {names}, count(*) AS requests,
  {counts},
  CAST(sum(CASE WHEN internet AND tier <> 'unbilled' THEN bytes ELSE 0 END) AS bigint)
    AS bytes_out_internet,
  CAST(sum(bytes) AS bigint) AS bytes_out
FROM classed
GROUP BY {names}"""


def aws_addresses_sql(
    window: Window, by: str = "bucket", depth: int = 1, requester_pays: Iterable[str] = ()
) -> str:
    """Athena SQL: the internet bytes of each row per public address, to take out AWS's own
    addresses (an EC2 instance's public IP, a NAT gateway) when ip-ranges.json is given."""
    keys = grouping(by, depth)
    names = ", ".join([*keys, "payer"])
    return f"""
{_classed(window, keys, requester_pays)}
SELECT {names}, remote_ip, CAST(sum(bytes) AS bigint) AS bytes
FROM classed
WHERE internet AND tier <> 'unbilled' AND bytes > 0
GROUP BY {names}, remote_ip"""


class CostReport(Result[Row]):
    """Rows sorted by `usd_total`, with the prices and assumptions behind them."""

    def __init__(
        self,
        items: list[Row],
        *,
        sql: str,
        columns: tuple[str, ...],
        prices: Prices,
        assumptions: list[str],
    ) -> None:
        super().__init__(items, sql=sql, columns=columns)
        self.prices, self.assumptions = prices, assumptions

    @property
    def notes(self) -> list[str]:
        """One line each: the price table used and every assumption."""
        p = self.prices
        return [
            f"prices: {p.region} of {p.date}: ${p.tier1_per_1000} per 1,000 tier-1 requests, "
            f"${p.tier2_per_1000} per 1,000 tier-2, ${p.internet_egress_per_gb} per GB out",
            *self.assumptions,
        ]


# What a terminal table shows after the grouping key; JSON and CSV have every key.
COLUMNS = ("requests", "requests_tier1", "requests_tier2", "bytes_out_internet", "usd_total")


def price(row: dict[str, Any], prices: Prices) -> None:
    """Add the dollar columns to a row of request counts and bytes."""
    row["usd_requests"] = round(
        row["requests_tier1"] / 1000 * prices.tier1_per_1000
        + row["requests_tier2"] / 1000 * prices.tier2_per_1000,
        6,
    )
    row["usd_transfer"] = round(row["bytes_out_internet"] / GIB * prices.internet_egress_per_gb, 6)
    row["usd_total"] = round(row["usd_requests"] + row["usd_transfer"], 6)
    row["price_date"] = prices.date


def cost(
    engine: Engine,
    window: Window | None = None,
    *,
    by: str = "bucket",
    depth: int = 1,
    prices: Prices = BUILT_IN,
    ip_ranges: IpRanges | None = None,
    requester_pays: Iterable[str] = (),
) -> CostReport:
    """Estimated cost per group, most expensive first."""
    window = window or Window()
    payers = sorted(requester_pays)
    sql = cost_sql(window, by, depth, payers)
    keys = [*grouping(by, depth), "payer"]
    found = rows(engine.records(sql))
    notes = list(ASSUMPTIONS)
    shown = sql.strip()
    if ip_ranges is None:
        notes.append("every public address counts as the internet (give --ip-ranges to take "
                     "out AWS's own addresses)")  # fmt: skip
    else:
        aws = aws_addresses_sql(window, by, depth, payers)
        owned: dict[tuple[Any, ...], int] = {}
        for r in engine.records(aws):
            if ip_ranges.owner(r["remote_ip"]) is not None:
                group = tuple(r[k] for k in keys)
                owned[group] = owned.get(group, 0) + r["bytes"]
        for row in found:
            row["bytes_out_internet"] -= owned.get(tuple(row[k] for k in keys), 0)
        shown += f";\n\n-- internet bytes per address, AWS's own taken out\n{aws.strip()}"
    out = []
    for row in found:
        bytes_out = row.pop("bytes_out")
        row["bytes_out_free"] = bytes_out - row["bytes_out_internet"]
        price(row, prices)
        out.append(_ordered(row, keys))
    out.sort(key=lambda r: (-r["usd_total"], -r["requests"], [str(r[k]) for k in keys]))
    shown_keys = tuple(k for k in keys if k not in ("principal_arn", "payer"))
    columns = (*shown_keys, *COLUMNS, "payer")
    return CostReport(out, sql=shown, columns=columns, prices=prices, assumptions=notes)


_ORDER = (
    "requests",
    "requests_tier1",
    "requests_tier2",
    "requests_free",
    "requests_unbilled",
    "bytes_out_internet",
    "bytes_out_free",
    "usd_requests",
    "usd_transfer",
    "usd_total",
    "price_date",
)


def _ordered(row: Row, keys: list[str]) -> Row:
    """The grouping key first, then the counts, bytes and dollars, then who pays."""
    out = Row()
    for k in (*[k for k in keys if k != "payer"], *_ORDER, "payer"):
        out[k] = row[k]
    return out
