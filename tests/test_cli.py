"""The command line: output formats, exit codes, and one-line errors (never a traceback)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import ACCESS_SAMPLES, SAMPLES, on_a_terminal, s3sleuth


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "store"
    run = s3sleuth("ingest", str(SAMPLES), "--store", str(path), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # nothing but the progress bar, which needs a terminal
    (summary,) = json.loads(run.stdout)
    assert summary["lines"] == summary["parsed"] > 0 and summary["rejected"] == 0
    return path


SQL = "SELECT operation, count(*) AS n FROM access_log GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"


def test_json_is_one_array_of_objects_keyed_by_column(store: Path) -> None:
    run = s3sleuth("query", SQL, "--store", str(store), "--format", "json")
    rows = json.loads(run.stdout)
    assert isinstance(rows, list) and len(rows) == 3
    assert all(set(r) == {"operation", "n"} for r in rows)
    assert rows[0]["n"] >= rows[1]["n"] >= rows[2]["n"]


def test_csv_and_table_formats(store: Path) -> None:
    csv = s3sleuth("query", SQL, "--store", str(store), "--format", "csv").stdout.splitlines()
    assert csv[0] == "operation,n" and len(csv) == 4
    table = s3sleuth("query", SQL, "--store", str(store)).stdout
    assert "operation" in table and csv[1].split(",")[0] in table


def test_parquet_needs_an_output_file(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "ops.parquet"
    assert (
        s3sleuth(
            "query", SQL, "--store", str(store), "--format", "parquet", "-o", str(out)
        ).returncode
        == 0
    )
    assert pq.read_table(out).num_rows == 3
    run = s3sleuth("query", SQL, "--store", str(store), "--format", "parquet")
    assert run.returncode == 2 and "-o FILE" in run.stderr


def test_sql_from_stdin_and_the_store_from_the_environment(store: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "s3sleuth", "query", "-", "--format", "csv"],
        input="SELECT 41 + 1 AS answer",
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "S3SLEUTH_STORE": str(store)},
    )
    assert run.stdout.splitlines() == ["answer", "42"]


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["query", "SELEC 1"], 2, "athena SQL syntax error near 'SELEC 1' (line 1, column 7)"),
        (["query", "SELECT nope FROM access_log"], 2, "SQL error (athena → duckdb)"),
        (["query", "SELECT nope FROM access_log", "--dialect", "duckdb"], 2, "SQL error (duckdb)"),
        (["query", "SELECT 1", "--format", "xml"], 2, "Invalid value for '--format'"),
    ],
)
def test_bad_queries_are_one_line_errors(
    store: Path, args: list[str], code: int, needle: str
) -> None:
    run = s3sleuth(*args, "--store", str(store))
    assert run.returncode == code
    assert needle in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_store_and_missing_source(tmp_path: Path) -> None:
    run = s3sleuth("query", "SELECT 1", "--store", str(tmp_path / "nothing"))
    assert run.returncode == 1
    assert run.stderr.strip() == (
        f"error: no s3sleuth store at {tmp_path / 'nothing'} "
        "(ingest logs into it first ('s3sleuth ingest SOURCE'), or name another with --store DIR)"
    )
    run = s3sleuth("ingest", str(tmp_path / "absent.log"), "--store", str(tmp_path / "s"))
    assert run.returncode == 2 and run.stderr.startswith("error: no such file or directory")
    assert len(run.stderr.strip().splitlines()) == 1


def test_other_url_schemes_say_what_to_do_instead(tmp_path: Path) -> None:
    run = s3sleuth("ingest", "gs://logs/prefix/", "--store", str(tmp_path / "s"))
    assert run.returncode == 2 and "s3://BUCKET/PREFIX" in run.stderr


@pytest.mark.parametrize("command", [[], ["ingest"], ["query"]])
def test_help(command: list[str]) -> None:
    run = s3sleuth(*command, "--help")
    assert run.returncode == 0 and "Usage:" in run.stdout


def test_terminal_output_cannot_carry_escape_sequences(store: Path) -> None:
    run = s3sleuth(
        "query", "SELECT 'a' || chr(27) || ']0;pwned' || chr(7) AS x", "--store", str(store)
    )
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
    assert "\\x1b" in run.stdout


def test_csv_cells_holding_lists_are_json(store: Path) -> None:
    run = s3sleuth(
        "query", "SELECT [1, 2] AS xs, {'a': 'b'} AS obj", "--store", str(store), "--format", "csv"
    )
    assert run.stdout.splitlines()[1] == '"[1, 2]","{""a"": ""b""}"'


def test_sql_that_starts_with_a_comment_is_the_sql(store: Path, tmp_path: Path) -> None:
    sql = "-- Source: a blog post\nSELECT count(*) AS n FROM access_log\n"
    as_argument = s3sleuth("query", sql, "--store", str(store), "--format", "csv")
    assert as_argument.returncode == 0, as_argument.stderr
    (tmp_path / "q.sql").write_text("/* saved */\n" + sql)
    from_file = s3sleuth(
        "query", "-f", str(tmp_path / "q.sql"), "--store", str(store), "--format", "csv"
    )
    assert from_file.returncode == 0, from_file.stderr
    assert as_argument.stdout == from_file.stdout and int(from_file.stdout.split()[1]) > 0
    both = s3sleuth("query", "SELECT 1", "-f", str(tmp_path / "q.sql"), "--store", str(store))
    neither = s3sleuth("query", "--store", str(store))
    assert (both.returncode, neither.returncode) == (2, 2)
    assert "not both" in both.stderr and "no SQL given" in neither.stderr


def test_integers_stay_integers(store: Path) -> None:
    sql = "SELECT sum(bytes_sent) AS total, 9007199254740993 AS big FROM access_log"
    (row,) = json.loads(s3sleuth("query", sql, "--store", str(store), "--format", "json").stdout)
    assert isinstance(row["total"], int) and row["big"] == 9007199254740993
    csv = s3sleuth("query", sql, "--store", str(store), "--format", "csv").stdout.splitlines()
    assert csv[1] == f"{row['total']},9007199254740993"
    assert "9007199254740993" in s3sleuth("query", sql, "--store", str(store)).stdout


def test_explain_ids_are_matched_as_logged(store: Path) -> None:
    exact = s3sleuth(
        "explain", "--session", "03bf7ddc20e33b8c", "--store", str(store), "--format", "json"
    )
    shouted = s3sleuth(
        "explain", "--session", "03BF7DDC20E33B8C", "--store", str(store), "--format", "json"
    )
    assert exact.returncode == 0 and exact.stdout == shouted.stdout
    request = json.loads(exact.stdout)[1]["detail"].rsplit(" ", 1)[1]
    lower = s3sleuth("explain", request.lower(), "--store", str(store), "--format", "json")
    upper = s3sleuth("explain", request, "--store", str(store), "--format", "json")
    assert lower.returncode == 0 and lower.stdout == upper.stdout
    bad = s3sleuth("explain", "--session", "test1", "--store", str(store))
    assert bad.returncode == 2 and "'test1' is not a Transfer Family session id" in bad.stderr


def _on_a_terminal(*args: str, columns: int = 160) -> str:
    """The command's output when stdout is a (pseudo) terminal, as a person sees it."""
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "xterm"}
    code, shown = on_a_terminal([sys.executable, "-m", "s3sleuth", *args], env)
    assert code == 0
    return shown


TIMES = (
    "SELECT remote_ip, min(time) AS first_seen, count(*) AS requests FROM access_log "
    "WHERE requester LIKE '%reports-ec2%' GROUP BY 1 ORDER BY 2"
)


def test_a_pipe_gets_tab_separated_values_never_folded(store: Path) -> None:
    piped = s3sleuth("query", TIMES, "--store", str(store))
    lines = piped.stdout.splitlines()
    assert lines[0].split("\t") == ["remote_ip", "first_seen", "requests"]
    assert lines[1].split("\t") == ["54.240.197.23", "2024-02-01T00:00:30+00:00", "90"]
    denied = s3sleuth("denied", "--store", str(store)).stdout.splitlines()
    assert denied[0].startswith("finding\trequests\t")
    assert any("arn:aws:s3:::partner-uploads/test.py\t" in line for line in denied)


def test_a_table_asked_for_on_a_pipe_keeps_its_natural_width(store: Path) -> None:
    sql = "SELECT requester, request_id, time FROM access_log WHERE requester LIKE '%test1%'"
    piped = s3sleuth("query", sql, "--store", str(store), "--format", "table")
    role = "arn:aws:sts::123456789012:assumed-role/Transfer-Family-Role/"
    rows = [line for line in piped.stdout.splitlines() if role in line]
    assert rows and all("@s-aacfeafc8f2840b9a" in line for line in rows)  # never folded
    assert all(re.search(r"\+00:00 +│", line) for line in rows)  # nor the timestamps


def test_a_terminal_gets_a_table(store: Path) -> None:
    shown = _on_a_terminal("query", TIMES, "--store", str(store))
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # the header's bold
    assert "┃ remote_ip" in plain and "│ 54.240.197.23 │ 2024-02-01T00:00:30+00:00 │" in plain
    assert "\t" not in plain


def test_tsv_escapes_what_would_break_a_line(store: Path) -> None:
    sql = "SELECT 'a' || chr(9) || 'b' || chr(10) || 'c\\d' || chr(27) AS x"
    run = s3sleuth("query", sql, "--store", str(store), "--format", "tsv")
    assert run.stdout.splitlines() == ["x", "a\\tb\\nc\\\\d\\x1b"]


@pytest.mark.parametrize(
    "command",
    [
        ["ingest"], ["query"], ["denied"], ["network"], ["clients"], ["explain"],
        ["summary"], ["report"], ["demo"], ["athena", "ddl"],
    ],
)  # fmt: skip
def test_every_help_ends_with_examples(command: list[str]) -> None:
    from click.testing import CliRunner

    from s3sleuth.cli import cli

    run = CliRunner().invoke(cli, [*command, "--help"])
    assert run.exit_code == 0
    tail = run.output.rstrip().splitlines()
    examples = tail.index("  Examples:")
    assert all(line.strip().startswith("s3sleuth ") for line in tail[examples + 1 :])


def test_an_empty_window_says_what_the_store_holds(store: Path) -> None:
    for command in (["denied", "--since", "2h"], ["clients", "--bucket", "no-such-bucket"]):
        run = s3sleuth(*command, "--store", str(store), "--format", "json")
        assert run.returncode == 0 and json.loads(run.stdout) == []
        assert "note: no requests in this window; the store holds" in run.stderr
        assert "from 2024-02-01 00:00 to" in run.stderr
    found = s3sleuth("clients", "--bucket", "partner-uploads", "--store", str(store))
    assert found.returncode == 0 and "note:" not in found.stderr


def test_results_wider_than_the_terminal_print_one_record_per_block(store: Path) -> None:
    shown = re.sub(
        r"\x1b\[[0-9;]*m", "", _on_a_terminal("denied", "--store", str(store), columns=80)
    )
    assert shown.startswith("-[ RECORD 1 ]")
    lines = shown.replace("\r", "").splitlines()
    finding = next(line for line in lines if line.startswith("finding"))
    assert finding.startswith("finding    | role Transfer-Family-Role (Transfer Family user test1")
    assert "┃" not in shown  # no table folded into 20-character columns
    wide = _on_a_terminal("query", TIMES, "--store", str(store), columns=160)
    assert "RECORD" not in wide  # a table that fits stays a table


def test_aws_setup_mistakes_are_one_line_usage_errors(tmp_path: Path) -> None:
    import os

    from tests.conftest import CREDENTIALS

    env = {**os.environ, **CREDENTIALS}
    env.pop("AWS_DEFAULT_REGION", None)
    env.pop("AWS_REGION", None)
    env.pop("AWS_PROFILE", None)
    profile = s3sleuth(
        "ingest", "s3://bucket/logs/", "--profile", "nope", "--store", str(tmp_path / "s"), env=env
    )
    assert profile.returncode == 2
    assert profile.stderr.strip() == (
        "error: there is no AWS profile named 'nope' "
        "(check --profile against 'aws configure list-profiles')"
    )
    region = s3sleuth("clients", "--engine", "athena", env=env)
    assert region.returncode == 2 and region.stderr.startswith("error: Athena needs an AWS region")
    assert "--region" in region.stderr and "Traceback" not in region.stderr


def test_a_damaged_manifest_stops_the_ingest_with_a_clear_error(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert s3sleuth("ingest", str(SAMPLES), "--store", str(store)).returncode == 0
    before = sorted(p.name for p in (store / "access_log").rglob("*.parquet"))
    (store / "manifest.sqlite").write_bytes(b"not a database at all" * 100)
    run = s3sleuth("ingest", str(SAMPLES), "--store", str(store))
    assert run.returncode == 2
    assert "manifest" in run.stderr and "is damaged" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in (store / "access_log").rglob("*.parquet")) == before


def test_an_ingest_that_adds_no_requests_says_why(store: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run = s3sleuth("ingest", str(empty), "--store", str(store))
    assert run.returncode == 0 and run.stdout.startswith("Ingested 0 files")
    assert "note: no logs found at those sources; the store holds 3," in run.stderr
    late = s3sleuth("ingest", str(ACCESS_SAMPLES[0]), "--since", "2030-01-01",
                    "--store", str(tmp_path / "other"))  # fmt: skip
    assert "note: no new requests in the window; the store holds no requests" in late.stderr
    again = s3sleuth("ingest", str(ACCESS_SAMPLES[0]), "--store", str(store))
    assert "note:" not in again.stderr  # already in the store: that summary says so


def test_csv_to_a_terminal_cannot_carry_escape_sequences(store: Path) -> None:
    sql = "SELECT 'a' || chr(27) || ']0;pwned' || chr(7) AS x"
    shown = _on_a_terminal("query", sql, "--store", str(store), "--format", "csv")
    assert "\x1b]0;" not in shown and "\x07" not in shown
    assert "\\x1b]0;pwned\\x07" in shown
    piped = s3sleuth("query", sql, "--store", str(store), "--format", "csv")
    assert "\x1b]0;pwned\x07" in piped.stdout  # a file gets the bytes as they are
