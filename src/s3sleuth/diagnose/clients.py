"""Which clients made the requests: console, Transfer Family, CLI, an SDK, an AWS service, ...

The client family comes from the User-Agent and the requester (see `enrich`); the User-Agent is
client-controlled, so this describes traffic rather than proving who sent it.
"""

from __future__ import annotations

from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.window import Window


def clients(engine: Engine, window: Window | None = None) -> Result[Row]:
    """Requests by client family and version, principal and bucket, most first."""
    sql = f"""
SELECT client, client_version, principal_name, principal_type, bucket,
  count(*) AS requests,
  CAST(sum(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END) AS bigint) AS errors,
  min(time) AS first_seen, max(time) AS last_seen
FROM access_log
WHERE {(window or Window()).where()}
GROUP BY client, client_version, principal_name, principal_type, bucket
ORDER BY requests DESC, client, client_version, principal_name, bucket"""
    return Result(rows(engine.records(sql)), sql=sql)


def families(result: Result[Row]) -> Result[Row]:
    """Requests per client family, most first: the one-line answer of `clients`."""
    totals: dict[str, int] = {}
    for row in result:
        family = row["client"] or "unknown"
        totals[family] = totals.get(family, 0) + row["requests"]
    ordered = sorted(totals.items(), key=lambda kv: -kv[1])
    return Result([Row(client=k, requests=v) for k, v in ordered], sql=result.sql)
