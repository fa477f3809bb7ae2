"""Golden cases of our own for every parsing pitfall in format.md §9 (golden/pitfalls.jsonl).

Each case is a raw line and the values it must give (or the reason it must be rejected).
`raw_line: true/null` says whether the line is irregular (kept raw) or rebuilt exactly.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from s3sleuth.parse import LineRejected, parse_line, render_line

CASES = [
    json.loads(line)
    for line in (Path(__file__).parent / "golden" / "pitfalls.jsonl").read_text().splitlines()
]


def raw_of(case: dict[str, Any]) -> bytes:
    if "line_latin1" in case:
        return case["line_latin1"].encode("latin-1")
    return case["line"].encode()


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_pitfall(case: dict[str, Any]) -> None:
    raw = raw_of(case)
    if "reject" in case:
        with pytest.raises(LineRejected) as err:
            parse_line(raw)
        assert case["reject"].split()[-1] in err.value.reason
        return
    record = parse_line(raw)
    for name, want in case["expect"].items():
        got = record[name]
        if name == "raw_line":
            assert (got is not None) == bool(want), "raw_line kept" if got else "raw_line dropped"
            assert got is None or got == raw
        elif name == "time":
            assert got == datetime.fromisoformat(want)
        else:
            assert got == want, name
    if record["raw_line"] is None:
        assert render_line(record).encode() == raw  # lossless: the fields rebuild the line


def test_the_cases_cover_every_pitfall() -> None:
    names = " ".join(c["case"] for c in CASES).lower()
    for topic in (
        "dash",
        "quote",
        "requester",
        "double space",
        "offset",
        "ipv6",
        "utf-8",
        "four-part",
        "trailing",
        "17-field",
        "port",
        "encoded",
        "never closes",
    ):
        assert topic in names, topic
