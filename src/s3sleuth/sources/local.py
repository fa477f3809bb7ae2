"""Local sources: files, directories (walked recursively), globs, `.gz` files and stdin."""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from s3sleuth import limits
from s3sleuth.errors import SourceError

_GZIP_MAGIC = b"\x1f\x8b"
_HASH_BLOCK = 8 << 20


def printable(name: str) -> str:
    r"""A file name as text: bytes that are not UTF-8 (Python keeps them as surrogates, which
    nothing can write) become `\xNN`, so `source_file` and messages can hold the name."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class LocalSource:
    """One local file to ingest. `name` is what `source_file` records."""

    path: Path
    name: str
    size: int
    mtime_ns: int

    @classmethod
    def from_path(cls, path: Path, name: str | None = None) -> LocalSource:
        stat = path.stat()
        return cls(path, printable(name or os.path.abspath(path)), stat.st_size, stat.st_mtime_ns)

    @property
    def compressed(self) -> bool:
        with open(self.path, "rb") as f:
            return f.read(2) == _GZIP_MAGIC

    def open(self) -> BinaryIO:
        if self.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return open(self.path, "rb")

    def unreadable(self, err: BaseException | str) -> SourceError:
        """The error for a file that cannot be read through (a truncated or corrupt gzip)."""
        what = "a readable gzip file" if self.compressed else "readable"
        return SourceError(
            f"{self.name} is not {what} ({err})", hint="check or re-download it", source=self.name
        )

    def read_through(self) -> tuple[str | None, tuple[int, str] | None]:
        """(content hash, None) for a file that reads to its end; (None, (the line it breaks
        in, why)) for a damaged one (a truncated or corrupt gzip). A compressed file is
        decompressed once for both, before any of it is parsed, so a damaged file adds
        nothing while the files around it are stored."""
        if not self.compressed:
            return self.content_hash(), None
        digest, lines = hashlib.sha256(), 0  # of the decompressed bytes
        try:
            with self.open() as stream:
                while chunk := stream.read(_HASH_BLOCK):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
        except (EOFError, OSError, zlib.error) as err:
            return None, (lines + 1, f"not a readable gzip file ({err})")
        return "sha256:" + digest.hexdigest(), None

    def content_hash(self) -> str:
        """sha256 of the log's bytes: the identity that makes re-ingest a no-op. A compressed
        file's is that of what it holds, so the same log gzipped and plain is one source."""
        if self.compressed:
            found, damage = self.read_through()
            if found is None:
                assert damage is not None
                raise self.unreadable(damage[1])
            return found
        digest = hashlib.sha256()
        with open(self.path, "rb") as f:
            while block := f.read(_HASH_BLOCK):
                digest.update(block)
        return "sha256:" + digest.hexdigest()


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not _is_hidden(path, root):
            yield path


def spool_stdin(directory: Path) -> LocalSource:
    """Copy stdin to a file first, so it can be hashed, resumed and read twice."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="stdin-", dir=directory)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, _HASH_BLOCK)
    return LocalSource.from_path(Path(name), name="<stdin>")


def resolve(spec: str) -> list[LocalSource]:
    """Expand one SOURCE argument (file, directory or glob) into files, in a stable order."""
    path = Path(spec).expanduser()
    if path.is_file():
        return [LocalSource.from_path(path)]
    if path.is_dir():
        return [LocalSource.from_path(p) for p in _walk(path)]
    if glob.has_magic(spec):
        matches = sorted(Path(m) for m in glob.glob(os.path.expanduser(spec), recursive=True))
        files = [p for m in matches for p in ([m] if m.is_file() else _walk(m))]
        if files:
            return [LocalSource.from_path(p) for p in files]
        raise SourceError(f"no files match {spec!r}", hint="check the pattern, or quote it")
    raise SourceError(f"no such file or directory: {spec}", hint="check the path", source=spec)


def read_chunks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """Blocks of about `size` bytes that end on a newline (the last may not). A line longer
    than `limits.MAX_LINE` is handed on as its stand-in, read past without being held."""
    carry = b""
    while block := stream.read(size):
        block = carry + block
        cut = block.rfind(b"\n")
        if cut < 0:
            if len(block) > limits.MAX_LINE:
                line, carry = _skip_overlong(stream, block, size)
                yield line
                continue
            carry = block
            continue
        carry = block[cut + 1 :]
        yield block[: cut + 1]
    if carry:
        yield carry


def _skip_overlong(stream: BinaryIO, start: bytes, size: int) -> tuple[bytes, bytes]:
    """(the stand-in line of the overlong line `start` begins, what follows its newline)."""
    head, length = start[: limits.KEPT], len(start)
    while more := stream.read(size):
        end = more.find(b"\n")
        if end >= 0:
            return limits.stand_in(length + end, head) + b"\n", more[end + 1 :]
        length += len(more)
    return limits.stand_in(length, head) + b"\n", b""
