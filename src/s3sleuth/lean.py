"""Keeping command processes lean.

PyArrow imports pandas, when it is installed (the spark extra brings it), on the first
`pa.array()` of a Python list or conversion of zoned timestamps to Python: about 0.15-0.3 s
and 50 MB in every process, though neither parsing nor the store's DuckDB engine needs it.
The command line marks pandas as absent before that happens, except for the Spark engine.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType


class _NoPandas(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] == "pandas":
            raise ModuleNotFoundError("pandas is not loaded by this command", name=fullname)
        return None


def without_pandas() -> None:
    """Make `import pandas` fail in this process, as if it were not installed, unless it is
    already imported. Only for processes that do not run Spark."""
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())
