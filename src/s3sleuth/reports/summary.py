"""The overview of a time range, aggregated in SQL (never in the page or in Python loops).

Every section keeps the Athena SQL that produced it, so a report can show, under each chart
and table, the query that reproduces it (`s3sleuth query "..."`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.denied import Finding, denied, denied_sql
from s3sleuth.diagnose.network import network, network_sql
from s3sleuth.diagnose.window import Window
from s3sleuth.sql.engine import StoreRef
from s3sleuth.sql.run import query

TOP = 10
# (title, SQL expression of the grouped value)
DIMENSIONS: dict[str, str] = {
    "buckets": "bucket",
    "key prefixes": "split_part(key, '/', 1) || CASE WHEN strpos(key, '/') > 0 THEN '/' END",
    "operations": "operation",
    "principals": "coalesce(principal_name, requester, 'anonymous')",
    "clients": "client",
    "source IPs": "remote_ip",
    "user agents": "user_agent",
    "error codes": "error_code",
}


@dataclass
class Section:
    title: str
    sql: str  # Athena SQL that reproduces `rows`
    rows: list[dict[str, Any]]


@dataclass
class Summary:
    window: Window
    totals: Section
    series: Section  # requests, bytes and errors per time bucket
    step: str  # the time bucket: minute, hour or day
    latency: Section
    network: Section
    tops: list[Section] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    findings_sql: str = ""
    network_rows: list[dict[str, Any]] = field(default_factory=list)
    network_sql: str = ""
    client_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.totals.rows or not self.totals.rows[0]["requests"]


def _section(title: str, sql: str, store: StoreRef) -> Section:
    return Section(title, sql.strip(), query(sql, store).to_pylist())


def _step(store: StoreRef, window: Window) -> str:
    """A time bucket giving at most a few hundred points."""
    row = query(
        f"SELECT min(time) AS lo, max(time) AS hi FROM access_log WHERE {window.where()}", store
    ).to_pylist()[0]
    lo: datetime | None = row["lo"]
    hi: datetime | None = row["hi"]
    span = (hi - lo) if lo and hi else timedelta(0)
    if span <= timedelta(hours=6):
        return "minute"
    return "hour" if span <= timedelta(days=14) else "day"


def summary(store: StoreRef = None, window: Window | None = None) -> Summary:
    """Everything `s3sleuth summary` and the HTML report show."""
    window = window or Window()
    where = window.where()
    step = _step(store, window)
    totals = _section(
        "totals",
        f"""SELECT count(*) AS requests, CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors,
  round(100.0 * count_if(http_status >= 400) / nullif(count(*), 0), 2) AS error_rate_pct,
  count(DISTINCT bucket) AS buckets, count(DISTINCT requester) AS principals,
  min(time) AS first_seen, max(time) AS last_seen
FROM access_log WHERE {where}""",
        store,
    )
    series = _section(
        f"requests, bytes and errors per {step}",
        f"""SELECT date_trunc('{step}', time) AS time, count(*) AS requests,
  CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors,
  round(100.0 * count_if(http_status >= 400) / count(*), 2) AS error_rate_pct
FROM access_log WHERE {where}
GROUP BY 1 ORDER BY 1""",
        store,
    )
    latency = _section(
        "latency (ms)",
        f"""SELECT 'total time' AS measure,
  approx_percentile(total_time_ms, 0.5) AS p50, approx_percentile(total_time_ms, 0.95) AS p95,
  approx_percentile(total_time_ms, 0.99) AS p99
FROM access_log WHERE {where}
UNION ALL
SELECT 'turn-around time', approx_percentile(turn_around_time_ms, 0.5),
  approx_percentile(turn_around_time_ms, 0.95), approx_percentile(turn_around_time_ms, 0.99)
FROM access_log WHERE {where}""",
        store,
    )
    net = _section(
        "network path",
        f"""SELECT coalesce(network_path, 'aws-internal') AS network_path, count(*) AS requests
FROM access_log WHERE {where} GROUP BY 1 ORDER BY 2 DESC""",
        store,
    )
    tops = [
        _section(
            f"top {title}",
            f"""SELECT {expr} AS value, count(*) AS requests,
  CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors
FROM access_log WHERE {where} AND ({expr}) IS NOT NULL
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}""",
            store,
        )
        for title, expr in DIMENSIONS.items()
    ]
    out = Summary(window, totals, series, step, latency, net, tops)
    out.findings = denied(store, window)
    out.findings_sql = denied_sql(window).strip()
    out.network_rows = [r for r in network(store, window).rows if r["public_requests"]]
    out.network_sql = network_sql(window, "principal").strip()
    out.client_rows = clients(store, window)
    return out
