"""The Athena-compatible table: AWS's column names and string values, and the queries from
AWS docs and blog posts running verbatim."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from s3sleuth import ingest, query, synth
from s3sleuth.errors import QueryError
from s3sleuth.parse import render_line
from tests.conftest import SAMPLES

# Verbatim from the issue and AWS docs, long lines and all.
TRANSFER_QUERY = """
SELECT bucket_name, requestdatetime, requester, httpstatus, errorcode, operation, key, request_uri, useragent
FROM s3_access_logs_db.mybucket_logs
WHERE requester LIKE '%Transfer-Family-Role%' AND errorcode = 'AccessDenied'
  AND parse_datetime(RequestDateTime,'dd/MMM/yyyy:HH:mm:ss Z')
      BETWEEN timestamp '2024-02-01 00:00:00' AND timestamp '2024-02-01 02:00:00'
ORDER BY requestdatetime DESC;
"""

PUT_QUERY = """
SELECT bucket,requestdatetime,remoteip,key,requesturi_operation,httpstatus
FROM s3_access_logs_db.mybucket_logs
where requesturi_operation = 'PUT' AND key = 'test.txt'
ORDER BY requestdatetime DESC
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("athena")
    logs = path / "logs"
    logs.mkdir()
    rng = random.Random(1)
    put = synth.record(
        rng,
        datetime(2024, 2, 1, 5, tzinfo=UTC),
        operation="REST.PUT.OBJECT",
        key_raw="test.txt",
        request_uri="PUT /test.txt HTTP/1.1",
        http_status=200,
        error_code=None,
        field_count=27,
    )
    batch = synth.record(
        rng,
        datetime(2024, 2, 1, 6, tzinfo=UTC),
        operation="BATCH.DELETE.OBJECT",
        key_raw="old.txt",
        request_uri=None,
        referer=None,
        user_agent=None,
        field_count=26,
    )
    (logs / "extra.log").write_text(render_line(put) + "\n" + render_line(batch) + "\n")
    ingest([str(SAMPLES), str(logs)], path / "store")
    return path / "store"


def test_transfer_family_query_from_the_issue_runs_verbatim(store: Path) -> None:
    rows = query(TRANSFER_QUERY, store).to_pylist()
    # The samples' user test1 is denied an upload every 20 minutes from 00:07:01.
    assert [r["requestdatetime"][12:20] for r in reversed(rows)] == [
        "00:07:01",
        "00:27:01",
        "00:47:01",
        "01:07:01",
        "01:27:01",
        "01:47:01",
    ]
    assert {r["operation"] for r in rows} == {"REST.PUT.OBJECT"}
    assert {r["httpstatus"] for r in rows} == {"403"}  # a string, as in Athena
    assert all(r["requester"].endswith("/test1.03bf7ddc20e33b8c@s-aacfeafc8f2840b9a") for r in rows)
    assert all(r["request_uri"].startswith('"PUT ') for r in rows)  # quotes kept, as in Athena
    assert [r["requestdatetime"] for r in rows] == sorted(
        (r["requestdatetime"] for r in rows), reverse=True
    )


def test_put_query_from_aws_docs_runs_verbatim(store: Path) -> None:
    (row,) = query(PUT_QUERY, store).to_pylist()
    assert row["bucket"] == "prod-data"
    assert row["requesturi_operation"] == "PUT"
    assert row["requestdatetime"] == "01/Feb/2024:05:00:00 +0000"


def test_athena_string_values_keep_dashes_and_quotes(store: Path) -> None:
    sql = (
        "SELECT request_uri, referrer, useragent, bytessent, versionid, sourceregion "
        "FROM s3_access_logs_db.mybucket_logs WHERE operation = 'BATCH.DELETE.OBJECT'"
    )
    (row,) = query(sql, store).to_pylist()
    assert (row["request_uri"], row["referrer"], row["useragent"]) == ("-", "-", "-")
    assert row["bytessent"] is None and row["versionid"] == "-"
    assert row["sourceregion"] is None  # a 26-field line has no source region, as in Athena


def test_access_log_is_typed(store: Path) -> None:
    table = query("SELECT * FROM access_log LIMIT 1", store)
    types = {f.name: str(f.type) for f in table.schema}
    assert types["time"] == "timestamp[us, tz=UTC]"
    assert types["http_status"] == "int32" and types["bytes_sent"] == "int64"
    assert list(table.column_names[:9]) == [
        "bucket_owner",
        "bucket",
        "time",
        "remote_ip",
        "requester",
        "request_id",
        "operation",
        "key",
        "key_raw",
    ]


def test_sql_errors_are_one_line_and_name_the_dialect(store: Path) -> None:
    with pytest.raises(QueryError) as err:
        query("SELECT nope FROM access_log", store)
    assert "athena" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(QueryError, match=r"\(duckdb\)"):
        query("SELECT nope FROM access_log", store, dialect="duckdb")
