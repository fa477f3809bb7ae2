"""Keeping ingest processes lean.

PyArrow imports pandas, when it is installed, on the first `pa.array()` of a Python list
(to ask whether the list is a pandas object): about 0.3 s and 50 MB in every process that
parses, though parsing never needs pandas. The command line's ingest marks pandas as absent
before that happens.
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
            raise ModuleNotFoundError("pandas is not loaded in ingest processes", name=fullname)
        return None


def without_pandas() -> None:
    """Make `import pandas` fail in this process, as if it were not installed, unless it is
    already imported. Only for processes that just parse and store."""
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())
