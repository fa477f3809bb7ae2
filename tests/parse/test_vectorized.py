"""The fast path over real and hostile lines: the conformance corpus and the pitfall cases,
through each splitter, give exactly the reference parser's records and rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from s3sleuth.parse import LineRejected, parse_line
from s3sleuth.parse.block import SEGMENT, Block, parse
from s3sleuth.parse.framing import Segment, split_lines
from s3sleuth.parse.vectorized import parse_block
from tests.conftest import SPLITTERS, splitter
from tests.parse.test_pitfalls import CASES, raw_of


def corpus(conformance: Path) -> bytes:
    lines = [raw_of(case) for case in CASES]
    for path in sorted(conformance.rglob("*.log")):
        lines += [line for line in path.read_bytes().split(b"\n") if line]
    return b"\n".join(lines) + b"\n"


def reference(data: bytes) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    records, rejects = [], []
    for number, raw in enumerate(data.split(b"\n")[:-1], 1):
        try:
            record = parse_line(raw.removesuffix(b"\r"))
        except LineRejected as err:
            rejects.append((number, err.reason))
            continue
        record["source_file"], record["source_line"] = "corpus", number
        records.append(record)
    return records, rejects


@pytest.mark.parametrize("name", SPLITTERS)
def test_blocks_parse_exactly_as_the_reference_parser(name: str, conformance: Path) -> None:
    data = corpus(conformance)
    with splitter(name):
        parsed = parse(Block([Segment(0, data=data, length=len(data))], ("corpus",), len(data)))
        _, fast = parse_block(split_lines(data, "corpus"))
    rows = parsed.rows.drop_columns([SEGMENT]).to_pylist()
    records, rejects = reference(data)
    assert sorted(rows, key=lambda r: r["source_line"]) == records
    found = sorted((line, reason) for _, _, line, reason, _, _ in parsed.rejects)
    assert found == rejects
    assert len(fast) >= 100  # the corpus's regular lines take the fast path
    assert len(records) >= 130 and len(rejects) >= 5
