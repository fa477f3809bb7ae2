"""`s3sleuth athena ddl`: the statements parse as Athena SQL, and the regex keeps the lines
AWS's documented one turns into rows of NULLs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from s3sleuth.athena.ddl import AWS_DOCUMENTED_REGEX, input_regex, parquet_ddl, regex_ddl
from s3sleuth.fields import FIELDS
from s3sleuth.parse.line import LineRejected, parse_line
from s3sleuth.views.catalog import stored_access_log
from tests.conftest import ACCESS_SAMPLES, s3sleuth

HOSTILE = (
    "owner bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 "
    "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E3ABCDEF "
    'REQ1 REST.GET.OBJECT a.txt "GET /a.txt?x="y" HTTP/1.1" 200 - 10 10 5 4 '
    '"https://example.com/a page" "Mozilla/5.0 "quoted" agent" - hostid SigV4 '
    "ECDHE-RSA-AES128-GCM-SHA256 AuthHeader bkt.s3.amazonaws.com TLSv1.2 - - us-east-1"
)


def _statement(sql: str) -> exp.Create:
    tree = sqlglot.parse_one(sql, read="athena")
    assert isinstance(tree, exp.Create) and tree.kind == "TABLE"
    return tree


def _pattern(ddl: str) -> str:
    """The input.regex property, unescaped as Hive reads the literal."""
    literal = re.search(r"'input\.regex' = '((?:[^'\\]|\\.)*)'", ddl)
    assert literal is not None
    return re.sub(r"\\(.)", r"\1", literal.group(1))


@pytest.mark.parametrize("layout", ["simple", "partitioned"])
def test_regex_ddl_parses_as_athena_sql(layout: str) -> None:
    ddl = regex_ddl("s3://logs/prefix/123456789012/us-east-1/src", layout, "db", "logs")
    tree = _statement(ddl)
    columns = [c.name for c in tree.find_all(exp.ColumnDef)]
    assert columns[: len(FIELDS)] == [f.athena for f in FIELDS]
    assert tree.this.this.name == "logs" and tree.this.this.db == "db"
    assert "LOCATION 's3://logs/prefix/123456789012/us-east-1/src/'" in ddl
    projected = "'projection.enabled' = 'true'" in ddl and "${timestamp}" in ddl
    assert projected == (layout == "partitioned")
    assert _pattern(ddl) == input_regex()


def test_parquet_ddl_parses_and_lists_the_store_columns() -> None:
    tree = _statement(parquet_ddl("s3://bucket/store"))
    assert [c.name for c in tree.find_all(exp.ColumnDef)] == list(stored_access_log())
    assert "s3://bucket/store/access_log/" in tree.sql("athena")


def test_our_pattern_matches_every_sample_line_with_the_parsers_tokens() -> None:
    ours = re.compile(input_regex())
    checked = 0
    for path in ACCESS_SAMPLES:
        for line in path.read_text().splitlines():
            match = ours.match(line)
            assert match is not None, line
            record = parse_line(line.encode())
            assert match.group(7) == record["operation"]
            assert match.group(10) == str(record["http_status"] or "-")
            checked += 1
    assert checked > 1000


def test_our_pattern_keeps_what_aws_loses() -> None:
    parse_line(HOSTILE.encode())  # s3sleuth's parser reads it
    assert re.match(AWS_DOCUMENTED_REGEX, HOSTILE) is None  # Athena's documented table: a NULL row
    match = re.match(input_regex(), HOSTILE)
    assert match is not None
    assert match.group(5).endswith("Identity E3ABCDEF")
    assert match.group(9) == '"GET /a.txt?x="y" HTTP/1.1"'
    assert match.group(10) == "200"
    assert match.group(17) == '"Mozilla/5.0 "quoted" agent"'
    assert match.group(27) == "us-east-1"


def test_a_reject_stays_unmatched_rather_than_shifted() -> None:
    truncated = HOSTILE.split(" 200 ")[0] + ' 200 - 10 10 5 4 "https://x'
    with pytest.raises(LineRejected):
        parse_line(truncated.encode())
    match = re.match(input_regex(), truncated)
    assert match is None or match.group(16) != '"https://x'


def test_cli_ddl() -> None:
    result = s3sleuth("athena", "ddl", "--location", "s3://logs/p/", "--layout", "partitioned")
    assert result.returncode == 0, result.stderr
    _statement(result.stdout)
    assert "projection.timestamp.type" in result.stdout
    parquet = s3sleuth("athena", "ddl", "--parquet", "s3://bucket/store/", "--table", "t")
    assert parquet.returncode == 0 and "STORED AS PARQUET" in parquet.stdout
    both = s3sleuth("athena", "ddl", "--parquet", "s3://b/", "--location", "s3://c/")
    assert both.returncode == 2 and "exactly one" in both.stderr
    bad = s3sleuth("athena", "ddl", "--location", "/local/path")
    assert bad.returncode == 2 and "s3://" in bad.stderr and "Traceback" not in bad.stderr


def test_on_the_conformance_corpus_ours_matches_a_superset_of_aws(conformance: Path) -> None:
    """Of the lines the parser reads, every one AWS's pattern matches, ours matches too, and
    more besides (e.g. quotes inside Request-URI and User-Agent)."""
    ours, aws = re.compile(input_regex()), re.compile(AWS_DOCUMENTED_REGEX)
    by_aws = by_ours = 0
    for path in sorted(p for p in conformance.rglob("*") if p.is_file()):
        for raw in path.read_bytes().splitlines():
            try:
                parse_line(raw)
            except LineRejected:
                continue
            line = raw.decode("utf-8", "replace").rstrip("\r")
            matched_aws, matched_ours = bool(aws.match(line)), bool(ours.match(line))
            assert matched_ours or not matched_aws, line
            by_aws += matched_aws
            by_ours += matched_ours
    assert by_ours > by_aws > 50
