"""The compiled part of the fast path (`_scan.c`), when the install could build it.

Without a C compiler the install still succeeds and parsing gives the same results, through
PyArrow's CSV reader and numpy instead (slower). `S3SLEUTH_PURE=1` chooses that path even when
the module is there (the tests compare both, and so can a user who suspects it).
"""

from __future__ import annotations

import os
from types import ModuleType

_built: ModuleType | None
try:
    from s3sleuth.parse import _scan as _built
except ImportError:  # no compiler at install time
    _built = None

ENABLED = os.environ.get("S3SLEUTH_PURE", "") in ("", "0")


def scan() -> ModuleType | None:
    """The compiled module, or None when it is not built or is switched off."""
    return _built if ENABLED else None
