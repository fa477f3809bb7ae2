"""Commands skip PyArrow's import of pandas (time and memory they never use)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ACCESS_SAMPLES

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


COMMAND = """
import sys
from s3sleuth.cli import cli
cli.main(sys.argv[1:], standalone_mode=False)
print("pandas loaded" if "pandas" in sys.modules else "pandas not loaded", file=sys.stderr)
"""


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", str(ACCESS_SAMPLES[0]), "-q"],
        ["denied", "--format", "json"],
        ["summary"],
        ["query", "SELECT min(time) AS t FROM access_log"],
    ],
)
def test_commands_do_not_load_pandas(tmp_path: Path, command: list[str]) -> None:
    store = tmp_path / "store"
    subprocess.run(
        [sys.executable, "-m", "s3sleuth", "ingest", str(ACCESS_SAMPLES[0]), "--store", str(store)],
        check=True,
        capture_output=True,
    )
    run = subprocess.run(
        [sys.executable, "-c", COMMAND, *command, "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stderr.strip().endswith("pandas not loaded"), run.stderr
