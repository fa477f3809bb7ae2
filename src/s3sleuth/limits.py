"""How long a line may be, and the stand-in for one that is longer.

Real access-log lines stay under a few tens of KB; a line longer than `MAX_LINE` is not a log
record (a binary file, a gzip bomb, a file that lost its newlines). It is rejected as too long
with its source and line number, and never held whole in memory: the readers keep its first
`KEPT` bytes and skip to its end, handing on a one-token stand-in line that only the reference
parser reads (`is_stand_in`, `rejection`).
"""

from __future__ import annotations

import os

MAX_LINE = 1 << 20  # 1 MiB
KEPT = 1024  # bytes of an overlong line kept in `rejects`
# Unforgeable: a line of a log that imitates a stand-in is never taken for one (stand-ins are
# made and read in the same process).
_MARK = b"\x00s3sleuth-overlong-" + os.urandom(8).hex().encode() + b":"


def stand_in(length: int, head: bytes) -> bytes:
    """A line standing in for an overlong one of `length` bytes starting with `head`: one
    token, so the fast path never takes it."""
    return _MARK + str(length).encode() + b":" + head[:KEPT].hex().encode()


def is_stand_in(line: bytes) -> bool:
    return line.startswith(_MARK)


def rejection(line: bytes) -> tuple[str, bytes]:
    """The reason and the kept bytes of an overlong line (given as its stand-in, or whole)."""
    if is_stand_in(line):
        length, _, head = line[len(_MARK) :].partition(b":")
        size, kept = int(length), bytes.fromhex(head.decode())
    else:
        size, kept = len(line), line[:KEPT]
    return (
        f"the line is {size:,} bytes, longer than the {MAX_LINE:,}-byte limit "
        f"(its first {len(kept):,} bytes are kept)",
        kept,
    )
