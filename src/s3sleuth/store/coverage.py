"""Which records of a source an ingest adds, when ingests are limited to time windows.

An ingest with `--since/--until` keeps only the records in its window and records the window in
the manifest. A later ingest of the same source with another window adds the records in its
window that no earlier window covered, so nothing is stored twice and nothing is skipped.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from s3sleuth.store.manifest import Interval

_FAR_PAST = datetime.min.replace(year=1)
_FAR_FUTURE = datetime.max


def _bounds(window: Interval) -> tuple[datetime, datetime]:
    since, until = window
    lo = since.replace(tzinfo=None) if since else _FAR_PAST
    hi = until.replace(tzinfo=None) if until else _FAR_FUTURE
    return lo, hi


def covers(stored: list[Interval], wanted: Interval) -> bool:
    """Whether the union of the `stored` windows contains all of `wanted`."""
    lo, hi = _bounds(wanted)
    reach = lo
    for a, b in sorted(_bounds(w) for w in stored):
        if a > reach:
            break
        reach = max(reach, b)
        if reach >= hi:
            return True
    return reach >= hi


def _inside(times: np.ndarray, window: Interval) -> np.ndarray:
    lo, hi = _bounds(window)
    mask = np.ones(len(times), dtype=bool)
    if window[0] is not None:
        mask &= times >= np.datetime64(lo, "us")
    if window[1] is not None:
        mask &= times < np.datetime64(hi, "us")
    return mask


def keep(times: np.ndarray, wanted: Interval, stored: list[Interval]) -> np.ndarray:
    """Mask of records (UTC `datetime64[us]`) to add: in `wanted` and in no `stored` window.
    A record without a time (NaT) is in no bounded window, so only an open ingest adds it."""
    mask = _inside(times, wanted)
    for window in stored:
        mask &= ~_inside(times, window)
    return mask
