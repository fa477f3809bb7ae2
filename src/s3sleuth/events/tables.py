"""Columns of the two event tables, the single truth for their Parquet schema and views.

`transfer_events` holds AWS Transfer Family log events (diagnostics.md §1.2), `cloudtrail_events`
CloudTrail records (§2.2). Both keep the original event as JSON text in `event`, so a field
without a column of its own is still there to query (`json_extract_string(event, '$.kex')`).
"""

from __future__ import annotations

_PROVENANCE = {"event": "VARCHAR", "source_file": "VARCHAR", "source_line": "BIGINT"}

TRANSFER_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",  # CloudWatch's eventId, or a hash of stream, time and message
    "time": "TIMESTAMPTZ",  # CloudWatch's timestamp; NULL when the input did not carry one
    "activity_type": "VARCHAR",
    "session_id": "VARCHAR",
    "server_id": "VARCHAR",
    "resource_arn": "VARCHAR",
    "account_id": "VARCHAR",
    "region": "VARCHAR",
    "user_name": "VARCHAR",
    "role": "VARCHAR",
    "source_ip": "VARCHAR",
    "client": "VARCHAR",
    "home_dir": "VARCHAR",
    "method": "VARCHAR",
    "operation": "VARCHAR",
    "path": "VARCHAR",
    "bucket": "VARCHAR",  # first segment of `path`
    "key": "VARCHAR",  # the rest of `path`, as S3's decoded key
    "mode": "VARCHAR",
    "bytes_in": "BIGINT",
    "bytes_out": "BIGINT",
    "message": "VARCHAR",
    "log_stream": "VARCHAR",
    "log_format": "VARCHAR",  # json or legacy (KEY=value)
    **_PROVENANCE,
}

CLOUDTRAIL_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "event_time": "TIMESTAMPTZ",
    "event_version": "VARCHAR",
    "event_source": "VARCHAR",
    "event_name": "VARCHAR",
    "event_type": "VARCHAR",
    "event_category": "VARCHAR",
    "aws_region": "VARCHAR",
    "source_ip": "VARCHAR",
    "user_agent": "VARCHAR",
    "identity_type": "VARCHAR",
    "principal_arn": "VARCHAR",
    "principal_id": "VARCHAR",
    "account_id": "VARCHAR",
    "access_key_id": "VARCHAR",
    "session_issuer_arn": "VARCHAR",
    "invoked_by": "VARCHAR",
    "error_code": "VARCHAR",
    "error_message": "VARCHAR",
    "request_id": "VARCHAR",  # = access_log.request_id
    "host_id": "VARCHAR",  # additionalEventData.x-amz-id-2 = access_log.host_id
    "bucket": "VARCHAR",
    "key": "VARCHAR",  # plain text, as CloudTrail logs it
    "vpc_endpoint_id": "VARCHAR",
    "vpc_endpoint_account_id": "VARCHAR",
    "recipient_account_id": "VARCHAR",
    "shared_event_id": "VARCHAR",
    "on_behalf_of": "VARCHAR",  # requestParameters.x-amz-onBehalfOf (Transfer Family)
    "signature_version": "VARCHAR",
    "authentication_method": "VARCHAR",
    "bytes_in": "BIGINT",
    "bytes_out": "BIGINT",
    "read_only": "BOOLEAN",
    "management_event": "BOOLEAN",
    **_PROVENANCE,
}

EVENT_TABLES: dict[str, dict[str, str]] = {
    "transfer_events": TRANSFER_COLUMNS,
    "cloudtrail_events": CLOUDTRAIL_COLUMNS,
}
TIME_COLUMN = {"transfer_events": "time", "cloudtrail_events": "event_time"}


def unique_events_sql(table: str) -> str:
    """Athena SQL: each event of `{table}_stored` (every copy as ingested) once, by event_id.
    The same event can come in two files, e.g. overlapping log exports."""
    cols = ", ".join(f'"{c}"' for c in EVENT_TABLES[table])
    return (
        f"SELECT {cols} FROM (SELECT *, row_number() OVER (PARTITION BY event_id "
        f"ORDER BY source_file, source_line) AS copy_rank FROM {table}_stored) AS copies "
        "WHERE copy_rank = 1"
    )
