"""The converters give the same results through the compiled module and through numpy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from s3sleuth.parse import columns as col
from s3sleuth.parse import compiled
from tests.conftest import splitter

T = TypeVar("T")
tokens = st.lists(st.binary(max_size=24).filter(lambda b: b" " not in b), max_size=30)
digits = st.lists(
    st.one_of(st.from_regex(rb"\A[0-9]{1,20}\Z"), st.sampled_from([b"-", b"", b"1a", b"007"])),
    max_size=30,
)


def _ranges(values: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The values joined by spaces, and each one's start and length."""
    data = b" ".join(values)
    lengths = np.array([len(v) for v in values], np.int32)
    starts = np.array(np.cumsum(lengths + 1) - lengths - 1, np.int32)
    return np.frombuffer(data, np.uint8), starts, lengths


def _both(call: Callable[[], T]) -> tuple[T, T]:
    """`call()` with the compiled module, and without it."""
    with splitter("compiled"):
        fast = call()
    with splitter("csv"):
        slow = call()
    return fast, slow


@settings(max_examples=200)
@given(tokens)
def test_gathering_ranges(values: list[bytes]) -> None:
    data, starts, lengths = _ranges(values)
    (fast_data, fast_off), (slow_data, slow_off) = _both(
        lambda: col.gather_ranges(data, starts, lengths)
    )
    assert fast_data.tobytes() == slow_data.tobytes() == b"".join(values)
    assert fast_off.tolist() == slow_off.tolist()


@settings(max_examples=200)
@given(digits, st.booleans(), st.booleans())
def test_integers(values: list[bytes], bigint: bool, dash_is_zero: bool) -> None:
    data, starts, lengths = _ranges(values)
    fast, slow = _both(
        lambda: col.integers(data, starts, lengths, bigint=bigint, dash_is_zero=dash_is_zero)
    )
    for a, b in zip(fast, slow, strict=True):
        assert a.tolist() == b.tolist()
    values_out, _, ok = fast
    for value, parsed, good in zip(values, values_out.tolist(), ok.tolist(), strict=True):
        limit = 2**63 - 1 if bigint else 2**31 - 1
        canonical = value.isdigit() and (value == b"0" or not value.startswith(b"0"))
        canonical = canonical and int(value) <= limit and len(value) <= (18 if bigint else 10)
        if dash_is_zero and canonical and int(value) == 0:
            canonical = False  # a logged 0 would be written back as "-"
        assert good == (canonical or value == b"-")
        if canonical:
            assert parsed == int(value)


times = st.lists(
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
            lambda t: t.strftime("[%d/%b/%Y:%H:%M:%S +0000]").encode()
        ),
        st.from_regex(
            rb"\A\[[0-9]{2}/(Jan|Feb|Foo)/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} \+0[01]00\]\Z"
        ),
        st.sampled_from(
            [b"-", b"", b"[29/Feb/2023:00:00:00 +0000]", b"[29/Feb/2024:00:00:00 +0000]"]
        ),
    ),
    max_size=30,
)


@settings(max_examples=300)
@given(times)
def test_timestamps(values: list[bytes]) -> None:
    data, starts, lengths = _ranges(values)
    with splitter("compiled"):
        scan = compiled.scan()
        assert scan is not None
        out = scan.timestamps(data, starts, lengths)
    seconds, days = (np.frombuffer(b, np.int64) for b in out[:2])
    valid, ok = (np.frombuffer(b, np.bool_) for b in out[2:])
    want_seconds, want_days, want_valid, want_ok = col.timestamps(data, starts, lengths)
    assert ok.tolist() == want_ok.tolist() and valid.tolist() == want_valid.tolist()
    good = ok & valid
    assert seconds[good].tolist() == want_seconds[good].tolist()
    assert days[good].tolist() == want_days[good].tolist()
    for value, second, fine in zip(values, seconds.tolist(), good.tolist(), strict=True):
        if fine:  # and both agree with Python's own calendar
            parsed = datetime.strptime(value.decode(), "[%d/%b/%Y:%H:%M:%S +0000]")
            assert second == int(parsed.replace(tzinfo=UTC).timestamp())
