"""The command line's ingest tunes memory reuse for its own process only."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import pyarrow as pa
from s3sleuth.memory import system_allocator_for_arrow
before = pa.default_memory_pool().backend_name
done = system_allocator_for_arrow()
print(before, done, pa.default_memory_pool().backend_name)
"""


def test_arrow_allocates_with_malloc_once_freed_memory_is_kept() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    before, done, after = out.stdout.split()
    assert done == "True"  # glibc: the machines this runs on
    assert after == "system", before


def test_importing_the_library_leaves_arrow_alone() -> None:
    code = (
        "import pyarrow as pa\nbefore = pa.default_memory_pool().backend_name\n"
        "import s3sleuth.pipeline\nprint(before, pa.default_memory_pool().backend_name)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split()
    assert before == after
