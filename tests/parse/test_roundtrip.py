"""Property tests: record -> line -> record, the fast path against the reference parser, and
arbitrary bytes never crash parsing and never lose a line."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sleuth import synth
from s3sleuth.fields import FIELDS
from s3sleuth.parse import LineRejected, parse_line, render_line
from s3sleuth.parse.framing import split_lines
from s3sleuth.parse.vectorized import parse_block
from tests.conftest import SPLITTERS, splitter

# "-" on the wire means NULL, so it is not a value a record can hold.
token = st.text(
    st.characters(min_codepoint=33, max_codepoint=0x2FFF, exclude_characters='"'),
    min_size=1,
    max_size=20,
).filter(lambda s: s != "-")
free_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=40)
maybe = st.one_of(st.none(), token)
times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
count = st.one_of(st.none(), st.integers(0, 2**31 - 1))


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """Records whose line is regular (no field needs the raw line to be rebuilt)."""
    operation = draw(
        st.sampled_from(
            [
                "REST.GET.OBJECT",
                "REST.PUT.OBJECT",
                "BATCH.DELETE.OBJECT",
                "S3.EXPIRE.OBJECT",
                "REST.COPY.OBJECT_GET",
                "S3.COMPUTE.OBJECT.CHECKSUM",
                "WEBSITE.GET.OBJECT",
            ]
        )
    )
    bare = operation in ("BATCH.DELETE.OBJECT", "REST.COPY.OBJECT_GET")
    quoted = st.none() if bare else st.one_of(st.none(), free_text.filter(lambda s: s != "-"))
    field_count = draw(st.sampled_from([17, 18, 24, 25, 26, 27, 28]))
    values = {
        "bucket_owner": draw(token),
        "bucket": draw(maybe),
        "time": draw(st.one_of(st.none(), times)),
        "remote_ip": draw(maybe),
        "requester": draw(maybe),
        "request_id": draw(token),
        "operation": operation,
        "key_raw": draw(st.one_of(st.none(), token)),
        "request_uri": draw(quoted),
        "http_status": draw(st.one_of(st.none(), st.integers(100, 599))),
        "error_code": draw(maybe),
        "bytes_sent": draw(st.integers(0, 2**62)),
        "object_size": draw(st.one_of(st.none(), st.integers(0, 2**62))),
        "total_time_ms": draw(count),
        "turn_around_time_ms": draw(count),
        "referer": draw(quoted),
        "user_agent": draw(quoted),
        "field_count": field_count,
        "extra_fields": "x-future" if field_count == 28 else None,
    }
    for field in FIELDS[17:]:  # the fields after User-Agent, each within what it can hold
        fits = st.from_regex(field.vocabulary, fullmatch=True) if field.vocabulary else token
        values[field.name] = draw(st.one_of(st.none(), fits.filter(lambda s: s != "-")))
    return values


def _same_fields(a: dict[str, Any], b: dict[str, Any]) -> None:
    from s3sleuth.fields import FIELDS

    for f in FIELDS[: min(a["field_count"], 27)]:
        want = a["key_raw"] if f.name == "key" else a[f.name]
        got = b["key_raw"] if f.name == "key" else b[f.name]
        assert got == want, f.name


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_record_to_line_to_record(values: dict[str, Any]) -> None:
    line = render_line(values)
    parsed = parse_line(line.encode())
    _same_fields(values, parsed)
    assert parsed["field_count"] == values["field_count"]
    assert parsed["extra_fields"] == values["extra_fields"]
    assert render_line(parsed) == line


def _fast_equals_reference(lines: list[bytes]) -> int:
    block = split_lines(b"".join(line + b"\n" for line in lines), "src")
    table, kept = parse_block(block)
    for row, index in zip(table.to_pylist(), kept.tolist(), strict=True):
        reference = parse_line(lines[index])
        reference["source_file"], reference["source_line"] = "src", index + 1
        assert row == reference, lines[index]
        assert render_line(row).encode() == lines[index]  # the fast path rebuilds exactly
    return len(kept)


@pytest.mark.parametrize("name", SPLITTERS)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(records(), min_size=1, max_size=20))
def test_fast_path_agrees_with_the_reference_parser(name: str, batch: list[dict[str, Any]]) -> None:
    lines = [render_line(v).encode() for v in batch]
    with splitter(name):
        _fast_equals_reference(lines)


@pytest.mark.parametrize("name", SPLITTERS)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_fast_path_agrees_on_realistic_and_hostile_lines(name: str, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 2, 1, tzinfo=UTC)
    lines = [
        synth.hostile_line(rng, start + timedelta(seconds=i))
        if rng.random() < 0.3
        else render_line(synth.record(rng, start, field_count=rng.choice(synth.ERA_RUNS))).encode()
        for i in range(40)
    ]
    with splitter(name):
        assert _fast_equals_reference(lines) > 0


def _account(data: bytes) -> tuple[int, int, int]:
    """(lines, parsed, rejected) for one block, the way ingest counts them."""
    block = split_lines(data, "fuzz")
    _, kept = parse_block(block)
    parsed = rejected = 0
    for i in range(len(block)):
        if i in set(kept.tolist()):
            parsed += 1
            continue
        try:
            parse_line(block.line(i))
            parsed += 1
        except LineRejected:
            rejected += 1
    return len(block), parsed, rejected


@pytest.mark.parametrize("name", SPLITTERS)
@settings(max_examples=300)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_and_every_line_counts(name: str, data: bytes) -> None:
    with splitter(name):
        lines, parsed, rejected = _account(data)
    assert parsed + rejected == lines
    assert lines == data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


@pytest.mark.parametrize("name", SPLITTERS)
@settings(max_examples=200)
@given(
    noise=st.lists(
        st.sampled_from([b"\r", b"\n", b'"', b" ", b"-", b"[", b"]", b"\xff", b"a"]), max_size=60
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_mutated_lines_never_crash(name: str, noise: list[bytes], seed: int) -> None:
    rng = random.Random(seed)
    line = bytearray(render_line(synth.record(rng, datetime(2024, 2, 1, tzinfo=UTC))).encode())
    for piece in noise:
        line[rng.randrange(len(line) + 1) : 0] = piece
    with splitter(name):
        lines, parsed, rejected = _account(bytes(line))
    assert parsed + rejected == lines
