"""Keep freed memory for reuse during ingest (glibc only; elsewhere a no-op).

glibc hands large freed blocks back to the OS at once, so code that allocates big arrays for
every block pays page faults again and again: a third of a worker's time, measured. Raising
the mmap and trim thresholds keeps those blocks in the heap for the next block to reuse.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


@cache
def reuse_freed_memory() -> bool:
    """Returns whether glibc accepted the settings."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, 256 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30))


def system_allocator_for_arrow() -> bool:
    """Make PyArrow allocate with malloc, so it shares the reuse above (its own allocator hands
    pages back and faults them in again: an ingest measured ~8% slower). Process-wide, so only
    for processes that just ingest (the command line's ingest). Returns whether it was done."""
    if not reuse_freed_memory():
        return False
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())
    return True
