"""The overview of a time range, aggregated in SQL (never in the page or in Python loops).

Every section keeps the Athena SQL that produced it, so a report can show, under each chart
and table, the query that reproduces it (`s3sleuth query "..."`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from s3sleuth.audit.topics import headlines_sql
from s3sleuth.cost.prices import BUILT_IN, Prices
from s3sleuth.detect import detect
from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.denied import Finding, denied
from s3sleuth.diagnose.network import network
from s3sleuth.diagnose.result import Result, Row
from s3sleuth.engines import Engine
from s3sleuth.reports.tops import tops
from s3sleuth.values import jsonable
from s3sleuth.window import Window


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
    network_rows: list[Row] = field(default_factory=list)
    network_sql: str = ""
    client_rows: Result[Row] = field(default_factory=lambda: Result([]))
    costs: list[Section] = field(default_factory=list)  # by principal, by bucket
    usage: Section | None = None  # downloads per top-level prefix
    audit: Section | None = None  # how many requests each audit topic lists
    detections: Result[Row] = field(default_factory=lambda: Result([]))  # detect findings

    @property
    def findings_sql(self) -> str:
        return self.findings.sql

    def to_dict(self) -> dict[str, Any]:
        """Every section in its JSON form, keyed by name."""
        sections = [self.totals, self.series, self.latency, self.network, *self.tops]
        sections += [*self.costs, *([self.usage] if self.usage else [])]
        sections += [self.audit] if self.audit else []
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
            "detect": self.detections.to_dicts(),
        }
        return out

    @property
    def empty(self) -> bool:
        return not self.totals.rows or not self.totals.rows[0]["requests"]


def _section(title: str, sql: str, engine: Engine) -> Section:
    return Section(title, sql.strip(), engine.records(sql))


STEPS = {"minute": 60, "hour": 3600, "day": 86400}


def _step(lo: datetime | None, hi: datetime | None) -> str:
    """A time bucket giving at most a few hundred points."""
    span = (hi - lo) if lo and hi else timedelta(0)
    if span <= timedelta(hours=6):
        return "minute"
    return "hour" if span <= timedelta(days=14) else "day"


MEASURES = {"total time": "total_time_ms", "turn-around time": "turn_around_time_ms"}


def latency_sql(where: str) -> str:
    """Athena SQL: how many requests took each number of milliseconds, per measure."""
    parts = "\n  UNION ALL ".join(
        f"SELECT '{measure}' AS measure, {column} AS ms FROM access_log WHERE {where}"
        for measure, column in MEASURES.items()
    )
    return f"""-- p50, p95 and p99 are the nearest-rank percentiles of this distribution
SELECT measure, ms, count(*) AS requests FROM (
  {parts}
) AS times
WHERE ms IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2"""


def nearest_rank(counts: list[tuple[int, int]], fraction: float) -> int | None:
    """The smallest value with at least `fraction` of the counts at or below it."""
    total = sum(n for _, n in counts)
    if not total:
        return None
    wanted, seen = max(1, math.ceil(fraction * total)), 0
    for value, n in counts:
        seen += n
        if seen >= wanted:
            return value
    return counts[-1][0]


def _latency(engine: Engine, where: str) -> Section:
    """Exact percentiles, from the distribution of times: a few thousand distinct values,
    counted in one pass (4x quicker than approx_percentile's digests, measured on 4M rows)."""
    sql = latency_sql(where)
    found = engine.records(sql)
    rows = []
    for measure in MEASURES:
        counts = [(r["ms"], r["requests"]) for r in found if r["measure"] == measure]
        p50, p95, p99 = (nearest_rank(counts, f) for f in (0.5, 0.95, 0.99))
        rows.append({"measure": measure, "p50": p50, "p95": p95, "p99": p99})
    return Section("latency (ms)", sql, rows)


def summary(engine: Engine, window: Window | None = None, prices: Prices = BUILT_IN) -> Summary:
    """Everything `s3sleuth summary` and the HTML report show, in ten scans of the window."""
    window = window or Window()
    where = window.where()
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
    first = totals.rows[0] if totals.rows else {}
    step = _step(first.get("first_seen"), first.get("last_seen"))
    series = _section(
        f"requests, bytes and errors per {step}",
        # The bucket by arithmetic on the epoch: date_trunc on a timestamp with time zone
        # costs 3x as much (measured on 4M rows: 0.23 s against 0.07 s).
        f"""SELECT from_unixtime(floor(to_unixtime(time) / {STEPS[step]}) * {STEPS[step]}) AS time,
  count(*) AS requests,
  CAST(coalesce(sum(bytes_sent), 0) AS bigint) AS bytes_sent,
  CAST(count_if(http_status >= 400) AS bigint) AS errors,
  round(100.0 * count_if(http_status >= 400) / count(*), 2) AS error_rate_pct
FROM access_log WHERE {where}
GROUP BY 1 ORDER BY 1""",
        engine,
    )
    latency = _latency(engine, where)
    net = _section(
        "network path",
        f"""SELECT coalesce(network_path, 'aws-internal') AS network_path, count(*) AS requests
FROM access_log WHERE {where} GROUP BY 1 ORDER BY 2 DESC""",
        engine,
    )
    found = tops(engine, where, prices)
    out = Summary(
        window, totals, series, step, latency, net, [Section(*t) for t in found.by_requests]
    )
    out.findings = denied(engine, window)
    report = network(engine, window)
    out.network_rows = [r for r in report if r["public_requests"]]
    out.network_sql = report.sql
    out.client_rows = clients(engine, window)
    out.costs = [Section(*t) for t in found.by_cost]
    out.usage = Section(*found.by_downloads)
    audit_sql = headlines_sql(window)
    out.audit = _section("audit headlines (s3sleuth audit TOPIC lists them)", audit_sql, engine)
    out.detections = detect(engine, window)
    return out
