"""Everything known about one request or one Transfer Family session, in time order.

A timeline merges the three logs: access-log rows, CloudTrail records and Transfer Family
events. For a request id: its access-log rows, the CloudTrail records with that requestID,
and the Transfer Family events that join the rows. For a session id: the session's events,
the access-log rows whose requester names it, and the CloudTrail records of those requests or
made on its behalf (`x-amz-onBehalfOf`).
"""

from __future__ import annotations

import re

from s3sleuth.diagnose.result import Result, Row, rows
from s3sleuth.engines import Engine
from s3sleuth.errors import UsageError
from s3sleuth.sql.literal import string_list, string_literal
from s3sleuth.views.joins import TransferWindow, cloudtrail_condition

SESSION_ID = re.compile(r"[0-9a-f]{16}")

_ACCESS = """SELECT a.time, 'access_log' AS source,
  concat_ws(' ', a.operation, concat(a.bucket, coalesce('/' || a.key, '')),
    CAST(a.http_status AS varchar), a.error_code) AS event,
  concat_ws(' ', 'by', a.requester, 'from', a.remote_ip,
    CAST(a.total_time_ms AS varchar) || ' ms', 'request', a.request_id) AS detail,
  a.source_file, a.source_line
FROM access_log a"""
_TRAIL = """SELECT c.event_time AS time, 'cloudtrail' AS source,
  concat_ws(' ', c.event_name, concat(c.bucket, coalesce('/' || c.key, '')), c.error_code)
    AS event,
  concat_ws(' ', 'by', c.principal_arn, 'from', c.source_ip,
    'via ' || c.vpc_endpoint_id, c.error_message) AS detail,
  c.source_file, c.source_line
FROM cloudtrail_events c"""
_TRANSFER = """SELECT t.time, 'transfer' AS source,
  concat_ws(' ', t.activity_type, t.operation, t.path, '"' || t.message || '"') AS event,
  concat_ws(' ', 'session', t.session_id, 'on', t.server_id, 'user ' || t.user_name,
    'from ' || t.source_ip, t.client) AS detail,
  t.source_file, t.source_line
FROM transfer_events t"""


def _request_sql(request_id: str, tw: TransferWindow) -> str:
    # Request ids are logged in capitals; one pasted in lower case is the same id.
    ids = string_list(sorted({request_id, request_id.upper()}))
    return f"""{_ACCESS} WHERE a.request_id IN ({ids})
UNION ALL {_TRAIL} WHERE c.request_id IN ({ids})
UNION ALL {_TRANSFER} WHERE t.event_id IN (
  SELECT t.event_id FROM access_log a JOIN transfer_events t ON {tw.condition()}
  WHERE a.request_id IN ({ids}))"""


def _session_sql(session_id: str) -> str:
    sid = string_literal(session_id)
    named = string_literal(f"%.{session_id}@%")
    return f"""{_ACCESS} WHERE a.transfer_session_id = {sid}
UNION ALL {_TRAIL} WHERE c.on_behalf_of LIKE {named} OR c.principal_arn LIKE {named}
  OR c.event_id IN (SELECT c.event_id FROM access_log a JOIN cloudtrail_events c
                    ON {cloudtrail_condition()} WHERE a.transfer_session_id = {sid})
UNION ALL {_TRANSFER} WHERE t.session_id = {sid}"""


def explain(
    engine: Engine,
    *,
    request_id: str | None = None,
    session_id: str | None = None,
    transfer_window: TransferWindow | None = None,
) -> Result[Row]:
    """The timeline of one request (`request_id`) or one Transfer Family session."""
    if (request_id is None) == (session_id is None):
        raise UsageError(
            "explain needs one {request_id} or one {session_id}",
            hint="a request id from the access log or CloudTrail, or a Transfer Family session",
            params=("request_id", "session_id"),
        )
    if session_id is not None:
        session_id = session_id.strip().lower()  # logged in lower case
        if not SESSION_ID.fullmatch(session_id):
            raise UsageError(
                f"{session_id!r} is not a Transfer Family session id",
                hint="a session id is 16 hex digits, as in USER.SESSION@SERVER",
            )
    sql = (
        _request_sql(request_id.strip(), transfer_window or TransferWindow())
        if request_id is not None
        else _session_sql(session_id or "")
    )
    sql = f"SELECT * FROM ({sql}) ORDER BY time NULLS LAST, source, source_file, source_line"
    return Result(rows(engine.records(sql)), sql=sql, columns=("time", "source", "event", "detail"))
