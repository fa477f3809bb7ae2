"""Ingest processes skip PyArrow's import of pandas (time and memory they never use)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
from s3sleuth.lean import without_pandas
without_pandas()
import pyarrow as pa
assert pa.array(["a", "b"]).to_pylist() == ["a", "b"]  # the call that would import pandas
assert "pandas" not in sys.modules
try:
    import pandas
except ModuleNotFoundError:
    print("blocked")
"""


def test_without_pandas_blocks_only_the_import() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "blocked"


def test_a_process_that_already_has_pandas_keeps_it() -> None:
    code = "import pandas, sys\nfrom s3sleuth.lean import without_pandas\nwithout_pandas()\n"
    code += "import pandas.api\nprint(type(pandas.DataFrame).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "type"
