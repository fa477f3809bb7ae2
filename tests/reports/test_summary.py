"""`s3sleuth summary` at a fixed width (golden file), and the output safety rules."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from s3sleuth import query
from s3sleuth.cli import cli
from s3sleuth.output import defuse
from s3sleuth.reports.summary import summary
from s3sleuth.reports.terminal import render, sparkline
from tests.conftest import engine
from tests.reports.conftest import FORMULA_UA, SCRIPT_UA

GOLDEN = Path(__file__).parent / "golden" / "summary.txt"


def _stable(text: str) -> str:
    """Approximate percentiles can differ in the last digit between runs (DuckDB merges
    per-thread digests in any order); their values are checked in the next test."""
    return re.sub(r"(│ (?:total time|turn-around time) +│)[^\n]*", r"\1 …", text)


def test_summary_golden_at_100_columns(report_store: Path) -> None:
    console = Console(width=100, record=True, color_system=None, force_terminal=False)
    render(summary(engine(report_store)), console)
    text = _stable(console.export_text())
    if os.environ.get("S3SLEUTH_REGEN_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    assert "\x1b" not in text and "\x07" not in text
    assert SCRIPT_UA in text  # as plain text in a terminal


def test_latency_percentiles_are_close_to_exact(report_store: Path) -> None:
    exact = query(
        "SELECT quantile_cont(total_time_ms, [0.5, 0.95, 0.99]) AS q FROM access_log",
        report_store,
        dialect="duckdb",
    )["q"][0].as_py()
    row = next(
        r for r in summary(engine(report_store)).latency.rows if r["measure"] == "total time"
    )
    assert row["p50"] <= row["p95"] <= row["p99"]
    for got, want in zip((row["p50"], row["p95"], row["p99"]), exact, strict=True):
        assert abs(got - want) <= 0.05 * want + 2


def test_summary_has_every_part(report_store: Path) -> None:
    s = summary(engine(report_store))
    titles = [t.title for t in s.tops]
    for part in (
        "buckets",
        "key prefixes",
        "operations",
        "principals",
        "clients",
        "source IPs",
        "error codes",
    ):
        assert f"top {part}" in titles
    assert {r["measure"] for r in s.latency.rows} == {"total time", "turn-around time"}
    assert sum(r["requests"] for r in s.series.rows) == s.totals.rows[0]["requests"]
    assert s.findings and "SELECT" in s.series.sql


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert len(sparkline(list(range(500)), width=50)) == 50
    assert sparkline([]) == ""


def test_cli_summary_strips_control_characters(report_store: Path) -> None:
    run = CliRunner().invoke(cli, ["summary", "--store", str(report_store)])
    assert run.exit_code == 0, run.output
    assert "\x1b]0;" not in run.output and "\x07" not in run.output


def test_csv_defuses_formulas_unless_told_not_to(report_store: Path) -> None:
    sql = "SELECT DISTINCT user_agent FROM access_log WHERE user_agent LIKE '=HYPERLINK%'"
    safe = CliRunner().invoke(cli, ["query", sql, "--store", str(report_store), "--format", "csv"])
    assert safe.exit_code == 0 and "'=HYPERLINK" in safe.output
    raw = CliRunner().invoke(
        cli, ["--no-csv-defuse", "query", sql, "--store", str(report_store), "--format", "csv"]
    )
    assert raw.exit_code == 0 and "'=HYPERLINK" not in raw.output and "=HYPERLINK" in raw.output
    assert FORMULA_UA.startswith("=")


def test_defuse_rules() -> None:
    assert defuse("=1+1") == "'=1+1" and defuse("@SUM(A1)") == "'@SUM(A1)"
    assert defuse("+cmd") == "'+cmd" and defuse("-cmd") == "'-cmd"
    assert defuse("-5") == "-5" and defuse("plain") == "plain"
    assert defuse(" =1+1") == "' =1+1" and defuse("  @A1") == "'  @A1"
    assert defuse("-") == "-"  # the log's own dash is not a formula


def test_direction_overrides_are_shown_not_obeyed() -> None:
    from s3sleuth.output import scrub

    key = "invoice\u202egpj.exe"  # displays as invoiceexe.jpg
    assert scrub(key) == "invoice\\u202egpj.exe"
    assert scrub("a\u2066b\u2069c") == "a\\u2066b\\u2069c"
    assert scrub("résumé 2024") == "résumé 2024"


def test_each_top_section_shows_the_sql_that_reproduces_it(report_store: Path) -> None:
    """The tops run as one GROUPING SETS scan; each shows its own standalone query."""
    s = summary(engine(report_store))
    assert len(s.tops) == 8 and all(t.rows for t in s.tops)
    for section in s.tops:
        assert query(section.sql, report_store).to_pylist() == section.rows, section.title


def test_nearest_rank_percentiles() -> None:
    from s3sleuth.reports.summary import nearest_rank

    uniform = [(v, 1) for v in range(1, 101)]
    assert [nearest_rank(uniform, f) for f in (0.5, 0.95, 0.99)] == [50, 95, 99]
    skewed = [(10, 90), (500, 9), (9000, 1)]
    assert [nearest_rank(skewed, f) for f in (0.5, 0.95, 0.99, 1.0)] == [10, 500, 500, 9000]
    assert nearest_rank([], 0.5) is None


def test_latency_shows_the_distribution_it_came_from(report_store: Path) -> None:
    s = summary(engine(report_store))
    rows = query(s.latency.sql, report_store).to_pylist()
    total = [r for r in rows if r["measure"] == "total time"]
    assert (
        sum(r["requests"] for r in total)
        == query("SELECT count(total_time_ms) AS n FROM access_log", report_store)["n"][0].as_py()
    )


def test_summary_as_json_and_csv(report_store: Path) -> None:
    run = CliRunner().invoke(cli, ["summary", "--store", str(report_store), "--format", "json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.output)
    assert set(data) >= {"window", "step", "sections", "denied", "network", "clients"}
    totals = data["sections"][0]
    assert totals["title"] == "totals" and isinstance(totals["rows"][0]["requests"], int)
    run = CliRunner().invoke(cli, ["summary", "--store", str(report_store), "--format", "csv"])
    lines = run.output.splitlines()
    assert lines[0] == "section,row,column,value"
    assert f"totals,1,requests,{totals['rows'][0]['requests']}" in lines


def test_report_has_no_format_option_it_would_ignore() -> None:
    run = CliRunner().invoke(cli, ["report", "--help"])
    assert run.exit_code == 0 and "--format" not in run.output


def test_a_reader_that_goes_away_is_not_an_error(report_store: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "s3sleuth", "summary", "--store", str(report_store),
         "--format", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"section,row,column,value\n"
    process.stdout.close()  # as `| head -1` does
    stderr = process.stderr.read()
    process.stderr.close()
    assert process.wait() in (0, 141) and b"error" not in stderr, stderr


def test_cost_and_usage_sections_agree_with_their_commands(report_store: Path) -> None:
    import s3sleuth

    s = summary(engine(report_store))
    by_bucket, by_principal = s.costs
    with s3sleuth.open(report_store) as opened:
        buckets = {r["bucket"]: r["usd_total"] for r in opened.cost(by="bucket")}
        date = opened.cost().prices.date
        downloads: dict[str, int] = {}
        for r in opened.usage(by="prefix"):
            if r["prefix"]:
                downloads[r["prefix"]] = downloads.get(r["prefix"], 0) + r["downloads"]
    assert by_bucket.title == f"estimated cost: top buckets (USD, prices of {date})"
    assert {r["value"]: r["usd_total"] for r in by_bucket.rows} == buckets
    total = sum(buckets.values())
    assert sum(r["usd_total"] for r in by_principal.rows) == pytest.approx(total, abs=1e-5)
    assert "anonymous" in {r["value"] for r in by_principal.rows}  # the samples' public bucket
    assert s.usage is not None
    assert {r["value"]: r["downloads"] for r in s.usage.rows} == downloads
    titles = [x["title"] for x in s.to_dict()["sections"]]
    assert titles[-4:-1] == [by_bucket.title, by_principal.title, "top prefixes by downloads"]


def test_audit_headlines_and_detections_agree_with_their_commands(report_store: Path) -> None:
    import s3sleuth

    s = summary(engine(report_store))
    assert s.audit is not None
    (counts,) = s.audit.rows
    with s3sleuth.open(report_store) as opened:
        deletes = opened.audit("deletes").to_dicts()
        detected = opened.detect().to_dicts()
    assert counts["deletes"] == len(deletes)
    assert s.detections.to_dicts() == detected
    assert s.to_dict()["detect"] == detected


def test_each_cost_and_usage_section_has_sql_that_reproduces_it(report_store: Path) -> None:
    s = summary(engine(report_store))
    assert s.usage is not None
    for section in (*s.costs, s.usage):
        rows = engine(report_store).records(section.sql)
        assert [r["value"] for r in rows] == [r["value"] for r in section.rows], section.title
    for section in s.costs:
        rows = engine(report_store).records(section.sql)
        usd = [round(r["usd_total"], 6) for r in rows]
        # price() rounds each part to 6 places, the SQL the total: they differ by rounding
        assert usd == pytest.approx([r["usd_total"] for r in section.rows], abs=3e-6)


def test_floats_print_in_plain_digits() -> None:
    from s3sleuth.output import cell
    from s3sleuth.reports.terminal import decimal

    assert [cell(x) for x in (5.2e-05, 0.0, 123.456789)] == ["0.000052", "0", "123.457"]
    assert [decimal(x) for x in (5.2e-05, 12.33, 0.0)] == ["0.000052", "12.33", "0"]
