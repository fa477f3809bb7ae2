"""The compiled module (`parse/_scan.c`) on its own: what `tokenize` keeps and how it splits,
`gather`, `integers`, and that bad arguments raise instead of crashing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3sleuth.parse import compiled
from s3sleuth.parse.framing import split_lines
from tests.conftest import splitter

if compiled._built is None:
    pytest.fail("the compiled module is not built: reinstall with a C compiler present")
scan: Any = compiled._built

TIME = b"[06/Feb/2019:00:00:38 +0000]"
HEAD = [b"owner", b"bucket", TIME, b"192.0.2.3", b"requester", b"REQID", b"REST.GET.OBJECT"]
MIDDLE = [b"200", b"-", b"3", b"3", b"5", b"4"]
TAIL = [b"-", b"host/id=", b"SigV4"]


def line(key: bytes = b"key", uri: bytes = b'"GET /k HTTP/1.1"', referer: bytes = b'"-"',
         agent: bytes = b'"curl/8"', tail: list[bytes] | None = None) -> bytes:  # fmt: skip
    fields = [*HEAD, key, uri, *MIDDLE, referer, agent, *(TAIL if tail is None else tail)]
    return b" ".join(fields)


def tokenize(data: bytes, columns: int = 28) -> tuple[list[int], list[list[bytes]], list[bool]]:
    """(kept line indices, each kept line's tokens, whether each is quoted)."""
    lines = split_lines(data)  # cuts at LF, and drops a CR before it
    rows, counts, quoted, starts, lengths, dashes = scan.tokenize(
        lines.data, lines.starts, lines.lengths, 40, columns
    )
    kept = np.frombuffer(rows, np.int64).tolist()
    n = len(kept)
    s = np.frombuffer(starts, np.int32).reshape(columns, n)
    ln = np.frombuffer(lengths, np.int32).reshape(columns, n)
    count = np.frombuffer(counts, np.int64)
    tokens = [
        [lines.data[s[t, r] : s[t, r] + ln[t, r]] for t in range(min(columns, count[r]))]
        for r in range(n)
    ]
    dash = np.frombuffer(dashes, np.bool_).reshape(columns, n)
    for r in range(n):  # the dash flags say which tokens are "-"
        assert [bool(dash[t, r]) for t in range(len(tokens[r]))] == [t == b"-" for t in tokens[r]]
    return kept, tokens, np.frombuffer(quoted, np.bool_).tolist()


def test_a_regular_line_is_split_into_its_fields() -> None:
    kept, tokens, quoted = tokenize(line() + b"\n")
    assert kept == [0]
    assert tokens[0][2] == TIME  # one token, with its space
    assert tokens[0][8] == b"GET /k HTTP/1.1"  # quoted: the content, without the quotes
    assert tokens[0][15:17] == [b"-", b"curl/8"]
    assert len(tokens[0]) == 20 and quoted == [True]


def test_bare_dashes_in_the_quoted_slots_are_kept_unquoted() -> None:
    kept, tokens, quoted = tokenize(line(uri=b"-", referer=b"-", agent=b"-"))
    assert kept == [0] and quoted == [False] and tokens[0][8] == b"-"


@pytest.mark.parametrize(
    "bad",
    [
        line().replace(b" 200 ", b"  200 "),  # a doubled space
        b" " + line(),  # a leading space
        line() + b" ",  # a trailing space
        line(key=b'k"ey'),  # a quote outside the quoted slots
        line(agent=b'"cu"rl"'),  # a quote inside a quoted field
        line(uri=b'"GET /k HTTP/1.1"', referer=b"-"),  # quoted and bare slots mixed
        line(agent=b'"curl\r/8"'),  # a CR
        line(key=b"k\xffey"),  # not UTF-8
        line(key=b"k\xc0\xafey"),  # an overlong encoding
        line(key=b"k\xed\xa0\x80ey"),  # a surrogate
        line(key=b"k\xe2\x82"),  # a truncated sequence
        line().replace(TIME, b"[06/Feb/2019:00:00:38]"),  # a Time field of another shape
        line().replace(TIME, b"-"),
        b" ".join([*HEAD, b"key", b'"GET /"', *MIDDLE]),  # 15 fields: too few
        line(tail=[b"x"] * 30),  # more than 40 fields
        b"",
    ],
)
def test_lines_whose_split_is_not_certain_are_left_out(bad: bytes) -> None:
    kept, _, _ = tokenize(bad + b"\n" + line())
    assert kept == [1]


def test_valid_multibyte_utf8_is_kept() -> None:
    kept, tokens, _ = tokenize(line(key="clé-😀".encode()))
    assert kept == [0] and tokens[0][7] == "clé-😀".encode()


@settings(max_examples=300)
@given(st.binary(max_size=12).filter(lambda b: not set(b) & set(b' "\r\n')))
def test_a_token_is_kept_exactly_when_it_is_utf8(token: bytes) -> None:
    try:
        token.decode("utf-8")
        valid = True
    except UnicodeDecodeError:
        valid = False
    kept, _, _ = tokenize(line(key=b"k" + token))
    assert (kept == [0]) == valid


@settings(max_examples=300)
@given(st.lists(st.sampled_from([b"a", b" ", b'"', b"-", b"\r", b"[", b"]", b"\xc3\xa9", b"7"]),
                max_size=30), st.integers(0, 400))  # fmt: skip
def test_kept_lines_rebuild_from_their_tokens(noise: list[bytes], at: int) -> None:
    raw = bytearray(line())
    raw[min(at, len(raw)) : min(at, len(raw))] = b"".join(noise)
    framed = split_lines(bytes(raw)).line(0)
    kept, tokens, quoted = tokenize(bytes(raw), columns=40)
    if kept == [0]:
        parts = [
            b'"' + tok + b'"' if quoted[0] and t in (8, 15, 16) else tok
            for t, tok in enumerate(tokens[0])
        ]
        assert b" ".join(parts) == framed


def _ranges(*pairs: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    starts, lengths = zip(*pairs, strict=True) if pairs else ((), ())
    return np.array(starts, np.int32), np.array(lengths, np.int32)


def test_gather_builds_one_arrow_column() -> None:
    offsets, values = scan.gather(b"hello world", *_ranges((6, 5), (0, 0), (0, 5)))
    assert np.frombuffer(offsets, np.int32).tolist() == [0, 5, 5, 10]
    assert values == b"worldhello"


def test_integers_are_canonical_decimals_only() -> None:
    data = b"0 42 007 -1 123456789012345678 1234567890123456789 4x"
    tokens = data.split(b" ")
    pairs, at = [], 0
    for t in tokens:
        pairs.append((at, len(t)))
        at += len(t) + 1
    values, ok = scan.integers(data, *_ranges(*pairs), 18)
    assert np.frombuffer(ok, np.bool_).tolist() == [True, True, False, False, True, False, False]
    assert np.frombuffer(values, np.int64).tolist()[:2] == [0, 42]
    assert np.frombuffer(values, np.int64)[4] == 123456789012345678


@pytest.mark.parametrize(
    "data",
    [b"", b"\n", b"a", b"a\n", b"a\r\nb", b"a\rb\n\r\n", b"\n\n", b"x\r", b"\r\n"],
)
def test_lines_cut_as_the_numpy_framing_does(data: bytes) -> None:
    from s3sleuth.parse import framing

    starts, lengths = scan.lines(data)
    with splitter("csv"):
        want = framing._line_bounds(np.frombuffer(data, np.uint8))
    assert np.frombuffer(starts, np.int64).tolist() == want[0].tolist()
    assert np.frombuffer(lengths, np.int64).tolist() == want[1].tolist()


@settings(max_examples=300)
@given(
    st.text(st.sampled_from(["%", "2", "5", "4", "1", "a", "F", "g", "C", "3", "A", "é"]),
            max_size=24),
    st.sampled_from([1, 2]),
)  # fmt: skip
def test_keys_decode_as_the_reference_parser_does(key: str, passes: int) -> None:
    from s3sleuth.parse.keys import decode_key

    data = key.encode()
    offsets, values, bad = scan.decode_keys(
        data, *_ranges((0, len(data))), np.array([passes], np.uint8)
    )
    operation = "BATCH.DELETE.OBJECT" if passes == 1 else "REST.GET.OBJECT"
    if not np.frombuffer(bad, np.bool_)[0]:  # else the fast path leaves the line to it
        assert values.decode() == decode_key(key, operation)
    assert np.frombuffer(offsets, np.int32).tolist() == [0, len(values)]


@pytest.mark.parametrize(
    "call",
    [
        lambda: scan.gather(b"abc", *_ranges((2, 5))),
        lambda: scan.gather(b"abc", *_ranges((-1, 1))),
        lambda: scan.integers(b"abc", *_ranges((0, 9)), 18),
        lambda: scan.integers(b"abc", *_ranges((0, 1)), 19),
        lambda: scan.gather(b"abc", np.zeros(2, np.int32), np.zeros(1, np.int32)),
        lambda: scan.gather(b"abc", np.zeros(3, np.uint8), np.zeros(3, np.uint8)),
        lambda: scan.gather(b"abc", np.zeros(3, np.int64), np.zeros(3, np.int64)),
        lambda: scan.tokenize(b"abc", np.zeros(1, np.int32), np.ones(1, np.int32), 40, 28),
        lambda: scan.tokenize(b"abc", np.array([2], np.int64), np.array([5], np.int64), 40, 28),
        lambda: scan.tokenize(b"abc", np.array([0], np.int64), np.array([3], np.int64), 3, 2),
        lambda: scan.decode_keys(b"abc", *_ranges((1, 3)), np.ones(1, np.uint8)),
        lambda: scan.decode_keys(b"abc", *_ranges((0, 3)), np.ones(2, np.uint8)),
    ],
)
def test_bad_arguments_raise_instead_of_crashing(call: Any) -> None:
    with pytest.raises(ValueError):
        call()
