"""Athena SQL through sqlglot: the three rewrites, checked by running them, and the
constructs sqlglot already gets right."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import sqlglot

from s3sleuth.errors import QueryError
from s3sleuth.sql.rewrite import joda_to_strftime
from s3sleuth.sql.translate import translate


def run(sql: str) -> object:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    (statement,) = translate(sql, "duckdb")
    return con.execute(statement).fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("joda", "strftime"),
    [
        ("dd/MMM/yyyy:HH:mm:ss Z", "%d/%b/%Y:%H:%M:%S %z"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSS", "%Y-%m-%dT%H:%M:%S.%g"),
        ("EEE, d MMMM yyyy h:mm a", "%a, %-d %B %Y %-I:%M %p"),
        ("''yy''", "'%y'"),
    ],
)
def test_joda_patterns(joda: str, strftime: str) -> None:
    assert joda_to_strftime(joda) == strftime


def test_unknown_joda_letters_are_an_error() -> None:
    with pytest.raises(QueryError, match="unsupported Joda"):
        joda_to_strftime("yyyy-ww")


def test_parse_datetime_with_a_joda_pattern_runs_on_duckdb() -> None:
    got = run("SELECT parse_datetime('06/Feb/2019:00:00:38 +0200', 'dd/MMM/yyyy:HH:mm:ss Z')")
    # a timestamp with time zone, as in Trino, normalised to UTC
    assert got == datetime(2019, 2, 5, 22, 0, 38, tzinfo=UTC)


def test_parse_datetime_of_a_dash_is_null_not_an_error() -> None:
    assert run("SELECT parse_datetime('-', 'dd/MMM/yyyy:HH:mm:ss Z')") is None


def test_format_datetime_with_a_joda_pattern_runs_on_duckdb() -> None:
    got = run("SELECT format_datetime(timestamp '2024-02-01 13:05:09', 'yyyy-MM-dd HH:mm')")
    assert got == "2024-02-01 13:05"


def test_date_add_hour_stays_hours_on_spark() -> None:
    (spark,) = translate("SELECT date_add('hour', 3, ts) FROM t", "spark")
    assert "TIMESTAMPADD(HOUR, 3, ts)" in spark
    (days,) = translate("SELECT date_add('day', 3, ts) FROM t", "spark")
    assert "DATE_ADD(ts, 3)" in days
    assert run("SELECT date_add('hour', 3, timestamp '2024-02-01 23:00:00')") == datetime(
        2024, 2, 2, 2, 0
    )


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT date_parse('01/Feb/2024:10:00:00', '%d/%b/%Y:%H:%i:%s')",
            datetime(2024, 2, 1, 10),
        ),
        ("SELECT regexp_like('REST.PUT.OBJECT', 'PUT')", True),
        ("SELECT url_decode('a%20b')", "a b"),
        ("SELECT split_part('a/b/c', '/', 2)", "b"),
        ("SELECT try_cast('x' AS integer)", None),
        ("SELECT date_trunc('hour', timestamp '2024-02-01 10:42:00')", datetime(2024, 2, 1, 10)),
    ],
)
def test_constructs_sqlglot_already_translates(sql: str, expected: object) -> None:
    assert run(sql) == expected


def test_emitted_sql_parses_back_in_the_target_dialect() -> None:
    sql = (
        "SELECT parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z') AS t, "
        "format_datetime(now(), 'yyyy') AS y, date_add('minute', 5, now()) AS m FROM x"
    )
    for target in ("duckdb", "spark"):
        (out,) = translate(sql, target)
        assert sqlglot.parse_one(out, read=target) is not None


def test_syntax_errors_name_the_dialect_and_where() -> None:
    with pytest.raises(QueryError) as err:
        translate("SELECT a FROM t WHERE (b = 1", "duckdb")
    assert str(err.value) == (
        "athena SQL syntax error near 'SELECT a FROM t WHERE (b = 1' (line 1, column 28): "
        "expecting )"
    )
    assert "Invalid expression" not in str(err.value)


# Athena (Trino) functions DuckDB lacks, translated; each checked by running it.
ATHENA_FUNCTIONS = [
    ("to_iso8601(TIMESTAMP '2024-02-01 10:00:00 UTC')", "2024-02-01T10:00:00.000Z"),
    ("to_iso8601(DATE '2024-02-01')", "2024-02-01"),
    ("to_iso8601(TIMESTAMP '2024-02-01 10:00:00')", "2024-02-01T10:00:00.000"),
    ("url_extract_host('https://u:p@example.com:8443/a/b?x=1#f')", "example.com"),
    ("url_extract_port('https://example.com:8443/a')", 8443),
    ("url_extract_port('https://example.com/a')", None),
    ("url_extract_path('https://example.com/a/b?x=1')", "/a/b"),
    ("url_extract_query('https://example.com/a?x=1&y=2#f')", "x=1&y=2"),
    ("url_extract_query('https://example.com/a')", None),
    ("url_extract_parameter('https://e.com/a?x=1&y=2', 'y')", "2"),
    ("url_extract_parameter('https://e.com/a?x=1', 'z')", None),
    ("url_extract_protocol('https://e.com/')", "https"),
    ("url_extract_fragment('https://e.com/a#top')", "top"),
]


@pytest.mark.parametrize(("call", "expected"), ATHENA_FUNCTIONS)
def test_athena_functions_duckdb_lacks(call: str, expected: object) -> None:
    assert run(f"SELECT {call} AS v") == expected


def test_translations_are_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from s3sleuth.sql import translate as module

    monkeypatch.setenv("S3SLEUTH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(module, "_memory", {})
    sql = "SELECT parse_datetime('01/Feb/2024:00:00:00 +0000', 'dd/MMM/yyyy:HH:mm:ss Z') AS t"
    first = translate(sql)
    (entry,) = (tmp_path / "sql").glob("*.json")
    module._memory.clear()
    assert translate(sql) == first  # read back from the file
    entry.write_text("not json")  # a damaged entry is translated again, and replaced
    module._memory.clear()
    assert translate(sql) == first and json.loads(entry.read_text()) == first


def test_a_known_translation_does_not_import_sqlglot(tmp_path: Path) -> None:
    env = {**os.environ, "S3SLEUTH_CACHE_DIR": str(tmp_path)}
    code = (
        "import sys; from s3sleuth.sql.translate import translate; "
        "print(translate('SELECT date_add(\\'hour\\', 1, now())')); "
        "print('sqlglot' in sys.modules)"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        for _ in range(2)
    ]
    assert runs[0][0] == runs[1][0]
    assert (runs[0][1], runs[1][1]) == ("True", "False")


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from s3sleuth.sql import translate as module

    monkeypatch.setenv("S3SLEUTH_CACHE_DIR", "off")
    monkeypatch.setattr(module, "_memory", {})
    assert module.cache_dir() is None
    assert translate("SELECT 1 AS one") == ["SELECT 1 AS one"]
