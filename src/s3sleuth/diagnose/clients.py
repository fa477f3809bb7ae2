"""Which clients made the requests: console, Transfer Family, CLI, an SDK, an AWS service, ...

The client family comes from the User-Agent and the requester (see `enrich`); the User-Agent is
client-controlled, so this describes traffic rather than proving who sent it.
"""

from __future__ import annotations

from typing import Any

from s3sleuth.diagnose.window import Window
from s3sleuth.sql.engine import StoreRef
from s3sleuth.sql.run import query


def clients(store: StoreRef = None, window: Window | None = None) -> list[dict[str, Any]]:
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
    rows: list[dict[str, Any]] = query(sql, store).to_pylist()
    return rows
