"""Memory is bounded for any input: an overlong line is rejected without being held whole,
and a flood of blank lines is one reject per run, not one per line."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

import s3sleuth
from s3sleuth import limits
from s3sleuth.sources.local import read_chunks
from tests.conftest import ACCESS_SAMPLES


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(limits, "MAX_LINE", 4096)
    return 4096


def rejects(store: Path) -> list[dict[str, object]]:
    sql = "SELECT source_line, reason, raw FROM rejects ORDER BY source_line"
    return s3sleuth.query(sql, store).to_pylist()


def _log(tmp_path: Path, long: int) -> tuple[Path, list[bytes]]:
    good = ACCESS_SAMPLES[0].read_bytes().splitlines(keepends=True)[:5]
    lines = [good[0], good[1], b"x" * long + b"\n", good[2], b"\n", b"\n", b"\n", good[3]]
    path = tmp_path / "hostile.log"
    path.write_bytes(b"".join(lines))
    return path, lines


@pytest.mark.parametrize("compressed", [False, True])
def test_an_overlong_line_is_rejected_by_its_number_and_the_rest_parsed(
    tmp_path: Path, small_limit: int, compressed: bool
) -> None:
    path, lines = _log(tmp_path, 10 * small_limit)
    if compressed:
        packed = path.with_suffix(".log.gz")
        packed.write_bytes(gzip.compress(path.read_bytes()))
        path = packed
    store = tmp_path / "store"
    result = s3sleuth.open(store, create=True).ingest(str(path), block_bytes=small_limit)
    assert (result.lines, result.parsed, result.rejected) == (len(lines), 4, 4)
    found = rejects(store)
    long = found[0]
    assert long["source_line"] == 3
    reason = str(long["reason"])
    assert "longer than" in reason and f"{10 * small_limit:,} bytes" in reason
    assert long["raw"] == b"x" * limits.KEPT  # the start of the line, not all of it
    numbers = s3sleuth.query("SELECT source_line FROM access_log ORDER BY 1", store)
    assert numbers.column(0).to_pylist() == [1, 2, 4, 8]


def test_a_run_of_blank_lines_is_one_reject(tmp_path: Path) -> None:
    good = ACCESS_SAMPLES[0].read_bytes().splitlines(keepends=True)[:2]
    path = tmp_path / "blank.log"
    path.write_bytes(good[0] + b"\n" * 100_000 + good[1] + b"\n\n")
    store = tmp_path / "store"
    result = s3sleuth.open(store, create=True).ingest(str(path))
    assert (result.lines, result.parsed, result.rejected) == (100_004, 2, 100_002)
    found = rejects(store)
    assert [(r["source_line"], r["reason"]) for r in found] == [
        (2, "lines 2 to 100,001 are empty (100,000 lines)"),
        (100_003, "lines 100,003 to 100,004 are empty (2 lines)"),
    ]


def test_read_chunks_cuts_an_overlong_line_without_holding_it(small_limit: int) -> None:
    data = b"a\n" + b"y" * (50 * small_limit) + b"\nb\n"
    chunks = list(read_chunks(io.BufferedReader(io.BytesIO(data), 1024), 1024))
    joined = b"".join(chunks)
    assert joined.startswith(b"a\n") and joined.endswith(b"\nb\n")
    assert len(joined) < 3 * limits.KEPT + 100  # the long line is a short stand-in
    assert max(len(c) for c in chunks) < 4 * small_limit
