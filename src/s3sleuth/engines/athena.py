"""The diagnoses' SQL run by Amazon Athena, where the logs already live (the `athena` extra).

Each query gets the tables it uses as CTEs (see `tables`), goes to Athena with boto3
(`StartQueryExecution`, polled with `GetQueryExecution`, read with `GetQueryResults`), and its
result comes back typed from Athena's column metadata. Array columns are sent back as JSON,
since Athena prints arrays as `[a, b]`, which cannot be split safely.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from s3sleuth.engines.athena_tables import S3TABLES_TABLE, TABLE_FORMATS, with_tables
from s3sleuth.errors import QueryError, UsageError
from s3sleuth.fields import ATHENA_DATABASE, ATHENA_TABLE

_DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}
_PRECISION = re.compile(r"\(\s*\d+(?:\s*,\s*\d+)?\s*\)")


@dataclass(frozen=True)
class AthenaOptions:
    database: str
    table: str
    workgroup: str = "primary"
    output_location: str | None = None  # s3://...; the workgroup's own when None
    table_format: str = "logs"
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    poll_seconds: float = 1.0
    timeout_seconds: float = 1800.0

    @property
    def qualified_table(self) -> str:
        if self.table_format == "s3tables" and (self.database, self.table) == (
            ATHENA_DATABASE,
            ATHENA_TABLE,
        ):  # not named: the table CloudWatch Logs mirrors into
            return S3TABLES_TABLE
        return f'"{self.database}"."{self.table}"'


def _json_arrays(sql: str) -> tuple[str, set[str]]:
    """The statement with each array-valued output column as JSON text, and their names."""
    tree = sqlglot.parse_one(sql, read="athena")
    arrays: set[str] = set()
    if isinstance(tree, exp.Select):
        projections = []
        for projection in tree.expressions:
            if projection.find(exp.ArrayAgg) is not None and projection.alias_or_name:
                name = projection.alias_or_name
                inner = projection.this if isinstance(projection, exp.Alias) else projection
                as_json = exp.func(
                    "json_format", exp.cast(inner.copy(), exp.DataType.build("json"))
                )
                projection = exp.alias_(as_json, name, quoted=True)
                arrays.add(name)
            projections.append(projection)
        tree.set("expressions", projections)
    return tree.sql("athena"), arrays


def _timestamp(text: str) -> datetime:
    # Athena: `2024-02-01 01:05:00.000 UTC` (with time zone) or `2024-02-01 01:05:00.000`
    value = text.removesuffix(" UTC")
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_CONVERT: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "bigint": int,
    "smallint": int,
    "tinyint": int,
    "double": float,
    "real": float,
    "float": float,
    "decimal": float,
    "boolean": lambda v: v.lower() == "true",
    "date": date.fromisoformat,
    "timestamp": _timestamp,
    "timestamp with time zone": _timestamp,
}


def convert(value: str | None, athena_type: str, is_json: bool) -> Any:
    if value is None:
        return None
    if is_json:
        return json.loads(value)
    kind = _PRECISION.sub("", athena_type.lower()).strip()  # timestamp(3) with time zone
    return _CONVERT.get(kind, str)(value)


class AthenaEngine:
    name = "athena"

    def __init__(self, options: AthenaOptions, client: Any | None = None) -> None:
        if options.table_format not in TABLE_FORMATS:
            raise UsageError(
                f"unknown table format {options.table_format!r}",
                hint=f"use one of {', '.join(TABLE_FORMATS)}",
            )
        self.options = options
        self.client = client or _client(options)

    def statement(self, sql: str) -> tuple[str, set[str]]:
        """The Athena SQL sent for a diagnosis query, and its JSON-encoded columns."""
        return _json_arrays(
            with_tables(sql, self.options.qualified_table, self.options.table_format)
        )

    def run(self, sql: str) -> pa.Table:
        statement, arrays = self.statement(sql)
        query_id = self._start(statement)
        self._wait(query_id)
        return self._results(query_id, arrays)

    def records(self, sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.run(sql).to_pylist()
        return rows

    def close(self) -> None:
        """The boto3 client holds nothing that needs closing."""

    def _start(self, statement: str) -> str:
        request: dict[str, Any] = {
            "QueryString": statement,
            "QueryExecutionContext": {"Database": self.options.database},
            "WorkGroup": self.options.workgroup,
        }
        if self.options.output_location:
            request["ResultConfiguration"] = {"OutputLocation": self.options.output_location}
        with _translated():
            return str(self.client.start_query_execution(**request)["QueryExecutionId"])

    def _wait(self, query_id: str) -> None:
        deadline = time.monotonic() + self.options.timeout_seconds
        while True:
            with _translated():
                status = self.client.get_query_execution(QueryExecutionId=query_id)
            state = status["QueryExecution"]["Status"]
            if state["State"] == "SUCCEEDED":
                return
            if state["State"] in _DONE:
                reason = state.get("StateChangeReason", state["State"].lower())
                raise QueryError(f"Athena query {query_id} {state['State'].lower()}: {reason}")
            if time.monotonic() > deadline:
                raise QueryError(
                    f"Athena query {query_id} still running after "
                    f"{self.options.timeout_seconds:.0f} s",
                    hint="see it in the Athena console; narrow {since}/{until}",
                    params=("since", "until"),
                )
            time.sleep(self.options.poll_seconds)

    def _pages(self, query_id: str) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            args: dict[str, Any] = {"QueryExecutionId": query_id}
            if token:
                args["NextToken"] = token
            with _translated():
                page = self.client.get_query_results(**args)
            yield page
            token = page.get("NextToken")
            if not token:
                return

    def _results(self, query_id: str, arrays: set[str]) -> pa.Table:
        columns: list[tuple[str, str]] = []
        rows: list[dict[str, Any]] = []
        for number, page in enumerate(self._pages(query_id)):
            result = page["ResultSet"]
            if not columns:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [(c["Name"], c.get("Type", "varchar")) for c in info]
            data = result.get("Rows", [])
            if number == 0 and data:
                data = data[1:]  # the first row of a SELECT's results is its header
            for row in data:
                values = [cell.get("VarCharValue") for cell in row.get("Data", [])]
                rows.append(
                    {
                        name: convert(value, kind, name in arrays)
                        for (name, kind), value in zip(columns, values, strict=False)
                    }
                )
        if not rows:
            return pa.table({name: pa.array([], pa.string()) for name, _ in columns})
        return pa.Table.from_pylist(rows)


def _client(options: AthenaOptions) -> Any:
    from s3sleuth.sources.aws import session

    aws = session(options.profile, options.region, extra="athena")  # boto3, or an install hint
    from botocore.exceptions import NoRegionError  # type: ignore[import-untyped]

    try:
        return aws.client("athena", endpoint_url=options.endpoint_url)
    except NoRegionError:
        raise UsageError(
            "Athena needs an AWS region",
            hint="pass {region}, or set AWS_REGION or a region in your AWS profile",
            params=("region",),
        ) from None


@contextmanager
def _translated() -> Iterator[None]:
    """AWS errors as one-line QueryErrors."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
    )

    try:
        yield
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "error")
        message = err.response.get("Error", {}).get("Message", str(err))
        raise QueryError(
            f"Athena {code}: {message}",
            hint="check {database}, {table}, {workgroup} and your AWS credentials",
            params=("database", "table", "workgroup"),
        ) from None
    except BotoCoreError as err:
        raise QueryError(f"Athena: {err}", hint="check AWS credentials and region") from None
