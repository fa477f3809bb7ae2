"""No stored value lies outside what its field can hold: a token that does not fit means the
split was wrong (a shifted field), so the line is read another way or rejected."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sleuth.fields import FIELDS
from s3sleuth.parse import LineRejected, parse_line
from s3sleuth.parse.framing import split_lines
from s3sleuth.parse.vectorized import parse_block
from tests.conftest import SPLITTERS, splitter

HEAD = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be b [06/Feb/2019:00:00:38 "
    '+0000] 192.0.2.3 - 3E57427F3EXAMPLE REST.GET.OBJECT k "GET /k HTTP/1.1" 200 - 1 1 1 1 "-" '
    '"ua"'
)
VOCABULARY = {f.name: re.compile(f.vocabulary) for f in FIELDS if f.vocabulary}
# Words that fit some field, and words like the halves of a Host Id that fit none.
WORDS = st.sampled_from(
    ["-", "SigV4", "SigV2", "AuthHeader", "QueryString", "TLSv1.2", "TLSV1.1", "Yes",
     "us-east-1", "ECDHE-RSA-AES128-SHA", "TLS_AES_128_GCM_SHA256", "b.s3.amazonaws.com",
     "AIDAISBTTLPGXGH6YFFAY", "LzYGhq+/bbc=", "null", "3HL4kqtJlcpXroDTDmJ", "TLS", "1.3",
     "arn:aws:s3:us-west-1:123456789012:accesspoint/ap"]
)  # fmt: skip


def _fits(record: dict[str, object]) -> bool:
    return all(
        record[name] is None or vocabulary.fullmatch(str(record[name])) is not None
        for name, vocabulary in VOCABULARY.items()
    )


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(WORDS, min_size=1, max_size=13))
def test_no_parsed_value_is_outside_its_vocabulary(tail: list[str]) -> None:
    line = f"{HEAD} {' '.join(tail)}".encode()
    try:
        record = parse_line(line)
    except LineRejected as err:
        assert err.reason
        return
    assert _fits(record), record


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(WORDS, min_size=1, max_size=13), min_size=1, max_size=20))
def test_the_fast_path_keeps_only_lines_that_fit(tails: list[list[str]]) -> None:
    lines = [f"{HEAD} {' '.join(tail)}".encode() for tail in tails]
    for name in SPLITTERS:
        with splitter(name):
            table, _ = parse_block(split_lines(b"".join(x + b"\n" for x in lines), "src"))
        assert all(_fits(row) for row in table.to_pylist()), name
