"""Peak memory of `s3sleuth ingest` on hostile inputs, each in a process of its own.

    python bench/bench_memory.py [--only NAME ...]

Inputs (generated once into bench/data/memory): one 50 MB line; 8 MB of blank lines; a gzip of
newlines that expands to 1 GiB; a gzip bomb that expands to 1 GiB with no newline at all; and
the 1M-line realistic log as the reference. Prints wall time, peak RSS of the ingest process
and its exit status; asserts nothing. The target: under 1 GiB whatever the input.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data" / "memory"
GIB = 1 << 30


def _gzip_of(path: Path, byte: bytes, total: int) -> None:
    block = byte * (8 << 20)
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(total // len(block)):
            out.write(block)


def inputs() -> dict[str, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    made = {
        "one 50 MB line": DATA / "long-line.log",
        "8 MB of blank lines": DATA / "blank-lines.log",
        "gzip of newlines (64 MiB inside)": DATA / "newlines.log.gz",
        "gzip bomb, no newline (1 GiB inside)": DATA / "bomb.log.gz",
    }
    if not made["one 50 MB line"].exists():
        made["one 50 MB line"].write_bytes(b"x" * (50 << 20) + b"\n")
    if not made["8 MB of blank lines"].exists():
        made["8 MB of blank lines"].write_bytes(b"\n" * (8 << 20))
    if not made["gzip of newlines (64 MiB inside)"].exists():
        _gzip_of(made["gzip of newlines (64 MiB inside)"], b"\n", 64 << 20)
    if not made["gzip bomb, no newline (1 GiB inside)"].exists():
        _gzip_of(made["gzip bomb, no newline (1 GiB inside)"], b"A", GIB)
    reference = Path(__file__).parent / "data" / "bench-1000000.log"
    if reference.exists():
        made["reference: 1M realistic lines"] = reference
    return made


def measure(path: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit status) of one ingest in a fresh process."""
    store = Path(tempfile.mkdtemp(prefix="s3sleuth-mem-"))
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "s3sleuth", "ingest", str(path), "--store", str(store),
             "-q", "--type", "access"],
            capture_output=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return seconds, peak, done.returncode
    finally:
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", help="names (substrings) of the inputs to run")
    args = parser.parse_args()
    print(f"{'input':42} {'time':>8} {'peak RSS':>10} {'exit':>5}")
    for name, path in inputs().items():
        if args.only and not any(o in name for o in args.only):
            continue
        # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run each in its own
        # interpreter so the figure is this input's alone.
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(path)], capture_output=True, text=True,
            check=False,
        ) if "--one" not in sys.argv else None  # fmt: skip
        if out is not None:
            seconds, peak, status = out.stdout.split()
            print(f"{name:42} {float(seconds):7.2f}s {float(peak):7.0f} MiB {status:>5}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        s, p, c = measure(Path(sys.argv[2]))
        print(f"{s:.3f} {p:.1f} {c}")
    else:
        main()
