"""The overview of a time range, aggregated in SQL (never in the page or in Python loops).

Every section keeps the Athena SQL that produced it, so a report can show, under each chart
and table, the query that reproduces it (`s3sleuth query "..."`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.denied import Finding, denied
from s3sleuth.diagnose.network import network
from s3sleuth.diagnose.result import Result, Row
from s3sleuth.engines import Engine
from s3sleuth.values import jsonable
from s3sleuth.window import Window

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
    findings: Result[Finding] = field(default_factory=lambda: Result([]))
    findings_sql: str = ""
    network_rows: list[Row] = field(default_factory=list)
    network_sql: str = ""
    client_rows: Result[Row] = field(default_factory=lambda: Result([]))

    def to_dict(self) -> dict[str, Any]:
        """Every section in its JSON form, keyed by name."""
        sections = [self.totals, self.series, self.latency, self.network, *self.tops]
        out: dict[str, Any] = {
            "window": jsonable(
                {
                    "since": self.window.since,
                    "until": self.window.until,
                    "bucket": self.window.bucket,
                }
            ),
            "step": self.step,
            "sections": [
                {"title": s.title, "sql": s.sql, "rows": jsonable(s.rows)} for s in sections
            ],
            "denied": self.findings.to_dicts(),
            "network": [r.to_dict() for r in self.network_rows],
            "clients": self.client_rows.to_dicts(),
        }
        return out

    @property
    def empty(self) -> bool:
        return not self.totals.rows or not self.totals.rows[0]["requests"]


def _section(title: str, sql: str, engine: Engine) -> Section:
    return Section(title, sql.strip(), engine.run(sql).to_pylist())


def _step(engine: Engine, window: Window) -> str:
    """A time bucket giving at most a few hundred points."""
    row = engine.run(
        f"SELECT min(time) AS lo, max(time) AS hi FROM access_log WHERE {window.where()}"
    ).to_pylist()[0]
    lo: datetime | None = row["lo"]
    hi: datetime | None = row["hi"]
    span = (hi - lo) if lo and hi else timedelta(0)
    if span <= timedelta(hours=6):
        return "minute"
    return "hour" if span <= timedelta(days=14) else "day"


def summary(engine: Engine, window: Window | None = None) -> Summary:
    """Everything `s3sleuth summary` and the HTML report show."""
    window = window or Window()
    where = window.where()
    step = _step(engine, window)
    totals = _section(
        "totals",
        f"""SELECT count(*) AS requests, CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors,
  round(100.0 * count_if(http_status >= 400) / nullif(count(*), 0), 2) AS error_rate_pct,
  count(DISTINCT bucket) AS buckets, count(DISTINCT requester) AS principals,
  min(time) AS first_seen, max(time) AS last_seen
FROM access_log WHERE {where}""",
        engine,
    )
    series = _section(
        f"requests, bytes and errors per {step}",
        f"""SELECT date_trunc('{step}', time) AS time, count(*) AS requests,
  CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors,
  round(100.0 * count_if(http_status >= 400) / count(*), 2) AS error_rate_pct
FROM access_log WHERE {where}
GROUP BY 1 ORDER BY 1""",
        engine,
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
        engine,
    )
    net = _section(
        "network path",
        f"""SELECT coalesce(network_path, 'aws-internal') AS network_path, count(*) AS requests
FROM access_log WHERE {where} GROUP BY 1 ORDER BY 2 DESC""",
        engine,
    )
    tops = [
        _section(
            f"top {title}",
            f"""SELECT {expr} AS value, count(*) AS requests,
  CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors
FROM access_log WHERE {where} AND ({expr}) IS NOT NULL
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP}""",
            engine,
        )
        for title, expr in DIMENSIONS.items()
    ]
    out = Summary(window, totals, series, step, latency, net, tops)
    out.findings = denied(engine, window)
    out.findings_sql = out.findings.sql
    report = network(engine, window)
    out.network_rows = [r for r in report if r["public_requests"]]
    out.network_sql = report.sql
    out.client_rows = clients(engine, window)
    return out
