"""The Athena client against moto's Athena on 127.0.0.1.

moto does not run SQL: it records each query and answers with results queued through its
`/moto-api/static/athena/query-results` API. So these tests prove the client side: what is
sent (database, workgroup, output location, the statement with its CTEs), the polling, the
pages, and the typing of the values. Only a real AWS account proves the whole path.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import sqlglot
from moto.server import ThreadedMotoServer

from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.denied import denied
from s3sleuth.engines.athena import AthenaEngine, AthenaOptions
from s3sleuth.errors import QueryError
from tests.conftest import s3sleuth, use_test_credentials


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_test_credentials(monkeypatch)


def queue(endpoint: str, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """Queue the result of the next query: a header row, then `rows` (None is SQL NULL)."""
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    body = {
        "results": [
            {
                "rows": [header, *data],
                "column_info": [{"Name": n, "Label": n, "Type": t} for n, t in columns],
            }
        ]
    }
    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 201


def options(endpoint: str, **overrides: Any) -> AthenaOptions:
    base: dict[str, Any] = {
        "database": "logs_db",
        "table": "access",
        "workgroup": "primary",
        "output_location": "s3://athena-results/s3sleuth/",
        "region": "us-east-1",
        "endpoint_url": endpoint,
        "poll_seconds": 0.05,
    }
    return AthenaOptions(**{**base, **overrides})


def executions(endpoint: str) -> list[dict[str, Any]]:
    client = boto3.client("athena", region_name="us-east-1", endpoint_url=endpoint)
    ids = client.list_query_executions()["QueryExecutionIds"]
    return [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]


CLIENT_COLUMNS = [
    ("client", "varchar"),
    ("client_version", "varchar"),
    ("principal_name", "varchar"),
    ("principal_type", "varchar"),
    ("bucket", "varchar"),
    ("requests", "bigint"),
    ("errors", "bigint"),
    ("first_seen", "timestamp(3) with time zone"),
    ("last_seen", "timestamp(3) with time zone"),
]


def test_clients_through_athena(endpoint: str) -> None:
    queue(
        endpoint,
        CLIENT_COLUMNS,
        [
            ["console", "1.0", "admin", "assumed-role", "prod-data", "12", "1",
             "2024-02-01 01:00:00.000 UTC", "2024-02-01 02:30:00.500 UTC"],
            ["aws-cli", None, None, "anonymous", "prod-data", "3", "0",
             "2024-02-01 03:00:00.000 UTC", "2024-02-01 03:00:00.000 UTC"],
        ],
    )  # fmt: skip
    rows = clients(AthenaEngine(options(endpoint)))
    assert rows[0]["requests"] == 12 and rows[0]["errors"] == 1
    assert rows[0]["last_seen"] == datetime(2024, 2, 1, 2, 30, 0, 500000, tzinfo=UTC)
    assert rows[1]["client_version"] is None
    sent = executions(endpoint)[-1]
    assert sent["QueryExecutionContext"]["Database"] == "logs_db"
    assert sent["WorkGroup"] == "primary"
    assert sent["ResultConfiguration"]["OutputLocation"].startswith("s3://athena-results/s3sleuth/")
    tree = sqlglot.parse_one(sent["Query"], read="athena")
    assert [cte.alias for cte in tree.find_all(sqlglot.exp.CTE)] == [
        "access_log_stored",
        "access_log",
    ]
    assert '"logs_db"."access"' in sent["Query"]


def test_denied_arrays_come_back_as_json(endpoint: str) -> None:
    engine = AthenaEngine(options(endpoint))
    statement, arrays = engine.statement("SELECT bucket, array_agg(DISTINCT key) AS keys "
                                         "FROM access_log GROUP BY bucket")  # fmt: skip
    assert arrays == {"keys"}
    assert "JSON_FORMAT(CAST(ARRAY_AGG(DISTINCT key) AS JSON))" in statement
    role = "arn:aws:iam::123456789012:role/Transfer-Family-Role"
    columns = [
        ("principal_arn", "varchar"),
        ("principal_type", "varchar"),
        ("principal_name", "varchar"),
        ("principal_account", "varchar"),
        ("transfer_user", "varchar"),
        ("transfer_server_id", "varchar"),
        ("operation_family", "varchar"),
        ("bucket", "varchar"),
        ("count", "bigint"),
        ("first_seen", "timestamp(3) with time zone"),
        ("last_seen", "timestamp(3) with time zone"),
        ("operations", "varchar"),
        ("error_codes", "varchar"),
        ("key_total", "bigint"),
        ("key_min", "varchar"),
        ("key_max", "varchar"),
        ("key_sample", "varchar"),
        ("session_total", "bigint"),
        ("session_sample", "varchar"),
        ("versioned", "boolean"),
        ("presigned", "boolean"),
        ("via_private_network", "boolean"),
    ]
    queue(
        endpoint,
        columns,
        [[role, "assumed-role", "Transfer-Family-Role", "123456789012", "test1", "s-aa",
          "REST.PUT.OBJECT", "sftp-bucket", "2",
          "2024-02-01 01:00:00.000 UTC", "2024-02-01 01:05:00.000 UTC", '["REST.PUT.OBJECT"]',
          '["AccessDenied"]', "1", "test, with comma.txt", "test, with comma.txt",
          '["test, with comma.txt"]', "2", '["03bf7ddc20e33b8c", "1111222233334444"]',
          "false", "false", "false"]],
    )  # fmt: skip
    (finding,) = denied(engine)
    assert finding.iam_actions == ["s3:PutObject"]
    assert finding.error_codes == ["AccessDenied"]
    assert finding.keys == ["test, with comma.txt"]  # a comma inside a key survives
    assert finding.transfer_user == "test1"
    assert finding.sessions == ["03bf7ddc20e33b8c", "1111222233334444"]


def test_failed_query_is_a_query_error(endpoint: str) -> None:
    class Failing:
        def __init__(self) -> None:
            self.real = boto3.client("athena", region_name="us-east-1", endpoint_url=endpoint)

        def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
            return dict(self.real.start_query_execution(**kwargs))

        def get_query_execution(self, **kwargs: Any) -> dict[str, Any]:
            status = {"State": "FAILED", "StateChangeReason": "TABLE_NOT_FOUND: logs_db.access"}
            return {"QueryExecution": {"Status": status}}

    engine = AthenaEngine(options(endpoint), client=Failing())
    with pytest.raises(QueryError, match="TABLE_NOT_FOUND"):
        engine.run("SELECT count(*) FROM access_log")


def test_cli_clients_engine_athena(endpoint: str) -> None:
    queue(
        endpoint,
        CLIENT_COLUMNS,
        [["transfer-family", None, "Transfer-Family-Role", "assumed-role", "sftp-bucket", "5",
          "5", "2024-02-01 01:00:00.000 UTC", "2024-02-01 01:10:00.000 UTC"]],
    )  # fmt: skip
    result = s3sleuth(
        "clients", "--engine", "athena", "--database", "logs_db", "--table", "access",
        "--region", "us-east-1", "--endpoint-url", endpoint,
        "--output-location", "s3://athena-results/x/", "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["client"] == "transfer-family" and row["requests"] == 5


def test_cli_engine_athena_refuses_sources(tmp_path: Any) -> None:
    result = s3sleuth("denied", str(tmp_path), "--engine", "athena")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--engine athena" in result.stderr
