"""The Athena engine's SQL, rehearsed on DuckDB: over the store's AWS-compatible table
(`s3_access_logs_db.mybucket_logs`, the columns and string values of AWS's RegexSerDe table),
its `access_log` CTE must type the rows exactly as the parser does, so every diagnosis gives
the same answer as on the store itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import sqlglot

from s3sleuth.athena.ddl import s3tables_views
from s3sleuth.audit.topics import TOPICS, audit
from s3sleuth.detect import detect
from s3sleuth.diagnose.clients import clients
from s3sleuth.diagnose.denied import denied
from s3sleuth.diagnose.network import network
from s3sleuth.engines.athena_tables import access_log_sql, with_tables
from s3sleuth.fields import FIELDS
from s3sleuth.pipeline.local import ingest
from s3sleuth.sql.translate import translate
from tests.conftest import ACCESS_SAMPLES, engine

TABLE = "s3_access_logs_db.mybucket_logs"


class Rehearsal:
    """What Athena would run, run by DuckDB over the store's Athena-compatible view."""

    name = "athena-rehearsal"

    def __init__(self, store: Path, table_format: str = "logs") -> None:
        self.con = engine(store).con  # type: ignore[attr-defined]
        self.table = {"logs": TABLE, "store": "uploaded_store", "s3tables": S3TABLES}[table_format]
        self.table_format = table_format
        self.statements: list[str] = []
        if table_format == "store":  # the store's files as Athena reads them after an upload
            self.con.execute("CREATE TEMP VIEW uploaded_store AS SELECT * FROM access_log_stored")
        if table_format == "s3tables":
            mirror(self.con)

    def run(self, sql: str) -> pa.Table:
        statement = with_tables(sql, self.table, self.table_format)
        self.statements.append(statement)
        (duckdb_sql,) = translate(statement, target="duckdb")
        return self.con.sql(duckdb_sql).to_arrow_table()

    def records(self, sql: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.run(sql).to_pylist()
        return rows


S3TABLES = "amazon_s3__server_access"


def mirror(con: Any) -> None:
    """A local table with the S3 Tables mirror's schema (format-cloudwatch.md §3.5: the JSON
    record's keys, `request_time` a timestamptz, the numbers numbers, `acl_required` a
    boolean, and a `cwl__` column of CloudWatch's own), holding the store's requests."""
    columns = []
    for f in FIELDS:
        value = "key" if f.name == "key" else f'"{f.name}"'
        if f.name == "acl_required":
            value = "acl_required = 'Yes'"
        elif f.dash_is_zero:
            value = f"NULLIF({value}, 0)"
        columns.append(f'{value} AS "{f.json_key}"')
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {S3TABLES} AS SELECT 'V_1_0' AS schema_version_id,"
        " 'arn:aws:s3:::' || bucket AS bucket_arn, " + ", ".join(columns) + ","
        " time AS cwl__timestamp FROM access_log_stored"
    )


@pytest.fixture(scope="module")
def access_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("athena") / "store"
    ingest([str(p) for p in ACCESS_SAMPLES], store)
    return store


def _unsourced(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("source_file", "source_line")} for r in rows]


def _answers(target: Any) -> dict[str, Any]:
    return {
        "denied": denied(target).to_dicts(),
        "network": network(target).to_dicts(),
        "clients": clients(target).to_dicts(),
        # Athena's tables of the raw logs know no source file or line: the rest must agree
        **{f"audit {topic}": _unsourced(audit(target, topic).to_dicts()) for topic in TOPICS},
        "detect": detect(target).to_dicts(),
    }


@pytest.mark.parametrize("table_format", ["logs", "store", "s3tables"])
def test_same_answers_as_the_store(access_store: Path, table_format: str) -> None:
    rehearsal = Rehearsal(access_store, table_format)
    expected = _answers(engine(access_store))
    assert expected["denied"] and expected["network"] and expected["detect"]
    assert _answers(rehearsal) == expected
    assert all(s.startswith("WITH access_log_stored AS") for s in rehearsal.statements)


def test_typed_rows_match_the_parser(access_store: Path) -> None:
    """Column by column, the CTE over the string table gives the stored typed values."""
    con = engine(access_store).con  # type: ignore[attr-defined]
    (typed_sql,) = translate(access_log_sql(TABLE), target="duckdb")
    columns = [
        c
        for c in con.sql("SELECT * FROM access_log LIMIT 0").columns
        if c not in ("extra_fields", "source_file", "source_line", "field_count", "raw_line")
    ]
    order = "ORDER BY request_id, operation, key_raw, time"
    cols = ", ".join(f'"{c}"' for c in columns)
    via_athena = con.sql(f"SELECT {cols} FROM ({typed_sql}) AS t {order}").to_arrow_table()
    stored = con.sql(f"SELECT {cols} FROM access_log {order}").to_arrow_table()
    assert via_athena.num_rows == stored.num_rows > 1000
    for column in columns:
        assert via_athena.column(column).to_pylist() == stored.column(column).to_pylist(), column


def test_statement_is_athena_sql() -> None:
    statement = with_tables("SELECT count(*) FROM access_log", TABLE)
    tree = sqlglot.parse_one(statement, read="athena")
    ctes = [cte.alias for cte in tree.find_all(sqlglot.exp.CTE)]
    assert ctes == ["access_log_stored", "access_log"]
    assert "parse_datetime" in statement.lower()


def test_s3tables_views_run_and_show_the_text_table(access_store: Path) -> None:
    """`athena ddl --source s3tables`: its views, run over a local table with the mirror's
    schema, give the diagnoses' columns and AWS's text-format table."""
    con = engine(access_store).con  # type: ignore[attr-defined]
    mirror(con)
    for statement in s3tables_views("temp", S3TABLES).split(";\n"):  # DuckDB's temp catalog
        if statement.strip():
            (sql,) = translate(statement, target="duckdb")
            con.execute(sql.replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW"))
    columns = "requestdatetime, requester, operation, httpstatus, bytessent, aclrequired"
    order = "ORDER BY requestid, requestdatetime, operation, key"
    got = con.sql(f"SELECT {columns} FROM temp.mybucket_logs {order}").fetchall()
    want = con.sql(f"SELECT {columns} FROM s3_access_logs_db.mybucket_logs {order}").fetchall()
    assert got == want and len(got) > 1000
    typed = con.sql("SELECT count(*), count(DISTINCT delivery) FROM temp.access_log")
    assert typed.fetchall() == [(len(got), 1)]
