"""Reading sources in order into parse blocks, with commit barriers between whole sources.

A source is admitted when the store does not yet hold its records for the wanted window. Log
objects arrive admitted and fetched, in order. A local file is named by its content hash:
when no earlier ingest recorded it, it is hashed on a thread while its blocks are parsed
(hashing a large file first would leave the workers idle), admitted on trust, and confirmed
at the commit (see `confirm`); the rare file found then to be in the store already makes the
ingest redo the uncommitted batch with hashing first.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from s3sleuth import limits
from s3sleuth.errors import SourceError
from s3sleuth.parse.block import Block
from s3sleuth.parse.framing import Segment
from s3sleuth.pipeline.result import IngestResult, Progress, Source
from s3sleuth.sources import LocalSource, read_chunks
from s3sleuth.sources.s3 import S3Object
from s3sleuth.store.coverage import covers
from s3sleuth.store.manifest import WHOLE, Interval
from s3sleuth.store.store import StoreDir


@dataclass
class Commit:
    """A barrier: every source before it is complete; commit them."""

    sources: list[tuple[Source, Admission]] = field(default_factory=list)
    # Sources that could not be read through: (name, line, reason), stored as rejects.
    failed: list[tuple[str, int, str]] = field(default_factory=list)


def _segments(
    source: LocalSource, index: int, block_bytes: int, start: int = 0
) -> Iterator[Segment]:
    """A source in line-aligned pieces of about `block_bytes`: byte ranges of a plain file
    (a worker reads them), or bytes for a compressed one (which cannot be read by range)."""
    if source.compressed:
        try:
            with source.open() as stream:
                for chunk in read_chunks(stream, block_bytes):
                    yield Segment(index, data=chunk, length=len(chunk))
        except (EOFError, OSError, zlib.error) as err:  # truncated or corrupt gzip
            raise source.unreadable(err) from None
        return
    with open(source.path, "rb") as f:
        while start < source.size:
            cut = min(start + block_bytes, source.size)
            end = _line_end(f, cut, source.size)
            if end is None:  # an overlong line crosses the cut: it is never read whole
                yield from _overlong(f, source, index, start, cut)
                start = f.tell()
            else:
                yield Segment(index, path=str(source.path), offset=start, length=end - start)
                start = end


def _line_end(f: BinaryIO, cut: int, size: int) -> int | None:
    """Where the line crossing `cut` ends (past its newline, or at the file's end); None
    when that is more than `limits.MAX_LINE` past `cut`."""
    end = cut
    f.seek(cut)
    while end < size:
        window = f.read(64 << 10)
        found = window.find(b"\n")
        if found >= 0:
            return end + found + 1
        end += len(window)
        if end - cut > limits.MAX_LINE:
            return None
    return end


def _overlong(
    f: BinaryIO, source: LocalSource, index: int, start: int, cut: int
) -> Iterator[Segment]:
    """The whole lines before the overlong line that crosses `cut`, then its stand-in; `f`
    is left just past the overlong line's newline."""
    f.seek(start)
    before = f.read(cut - start)
    line_start = start + before.rfind(b"\n") + 1  # the file's lines start at `start`
    del before
    if line_start > start:
        yield Segment(index, path=str(source.path), offset=start, length=line_start - start)
    f.seek(line_start)
    head = f.read(limits.KEPT)
    f.seek(line_start)
    length = 0
    while block := f.read(1 << 20):
        found = block.find(b"\n")
        if found >= 0:
            length += found
            f.seek(line_start + length + 1)
            break
        length += len(block)
    line = limits.stand_in(length, head) + b"\n"
    yield Segment(index, data=line, length=f.tell() - line_start)


def with_kind(digest: str, kind: str) -> str:
    """A local source's identity: its content hash, and the kind of log it was read as
    (access logs have none, as before): the same file read as another kind (`--type`) is
    another source, so a file ingested as the wrong kind can be read again as the right one."""
    return digest if kind == "access" else f"{digest}#{kind}"


def known_identity(store: StoreDir, source: LocalSource, kind: str = "access") -> str | None:
    """The recorded identity of this exact file (same path, size and mtime) read as `kind`."""
    known = store.manifest.identity_at(source.name, source.size, source.mtime_ns)
    if known is None or known.partition("#")[2] != ("" if kind == "access" else kind):
        return None
    return known


def local_identity(store: StoreDir, source: LocalSource, kind: str = "access") -> str:
    """The content hash with its kind; for a file already in (same path, size and mtime),
    the recorded one, so an unchanged file is not read again."""
    return known_identity(store, source, kind) or with_kind(source.content_hash(), kind)


@dataclass(frozen=True)
class Admission:
    """A source to read: its identity, the window to keep, and the windows already stored."""

    identity: str
    wanted: Interval = WHOLE
    stored: tuple[Interval, ...] = ()
    # A file that grew since it was ingested: its first `skip_bytes` (`skip_lines` lines)
    # are stored already, and only what follows is read.
    skip_bytes: int = 0
    skip_lines: int = 0

    @property
    def filters(self) -> bool:
        return self.wanted != WHOLE or bool(self.stored)


def admit(store: StoreDir, identity: str, wanted: Interval, seen: set[str]) -> Admission | None:
    """None when the store (or this run) already holds the source's records in `wanted`."""
    if identity in seen:
        return None
    stored = store.manifest.windows(identity)
    if stored is not None and covers(stored, wanted):
        return None
    seen.add(identity)
    return Admission(identity, wanted, tuple(stored or ()))


PENDING = "pending:"  # the identity of a source admitted on trust while it is hashed


class Damaged(Exception):
    """A source that cannot be read through: the line it breaks in, and why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


class LateDuplicate(Exception):
    """A source admitted on trust turned out, once hashed, to be in the store already."""


def confirm(store: StoreDir, name: str, identity: Future[str], seen: set[str]) -> Admission:
    """The admission of a source admitted on trust, now that its hash is known."""
    admission = admit(store, identity.result(), WHOLE, seen)
    if admission is None or admission.stored:
        raise LateDuplicate(name)
    return admission


def _s3_segments(data: bytes, index: int, block_bytes: int) -> Iterator[Segment]:
    for chunk in read_chunks(io.BytesIO(data), block_bytes):
        yield Segment(index, data=chunk, length=len(chunk))


class Producer:
    """Reads sources in order and packs their lines into blocks, with commit barriers.

    Local files are hashed as they come; log objects arrive already admitted and fetched, in
    order, from `fetched`.
    """

    def __init__(
        self,
        store: StoreDir,
        sources: list[Source],
        result: IngestResult,
        progress: Progress | None,
        block_bytes: int,
        commit_bytes: int,
        wanted: Interval = WHOLE,
        fetched: Iterator[tuple[S3Object, bytes | SourceError]] | None = None,
        admitted: dict[str, Admission] | None = None,
        hasher: Executor | None = None,
        already: set[str] | None = None,
    ) -> None:
        self.store, self.sources, self.result = store, sources, result
        self.progress, self.block_bytes, self.commit_bytes = progress, block_bytes, commit_bytes
        self.wanted, self.fetched = wanted, fetched
        self.admitted: dict[str, Admission] = admitted or {}
        self.seen: set[str] = set()
        self.hasher = hasher if self.wanted == WHOLE else None  # windows need the hash first
        self.pending: dict[str, Future[str]] = {}  # hashes of sources admitted on trust
        self.already = already or set()  # committed by an earlier attempt of this ingest

    def _grown(self, source: LocalSource) -> Admission | None:
        """The admission of a file that only grew since it was ingested (a log being
        appended to): its recorded content is still its first bytes, ending at a line's end.
        None for any other file."""
        if source.compressed or self.wanted != WHOLE:
            return None
        before = self.store.manifest.earlier(source.name, source.size)
        if before is None:
            return None
        identity, size, lines = before
        digest, last = hashlib.sha256(), b""
        with open(source.path, "rb") as f:
            left = size
            while left and (block := f.read(min(left, 1 << 20))):  # never the whole prefix
                digest.update(block)
                left, last = left - len(block), block[-1:]
            if last != b"\n" or "sha256:" + digest.copy().hexdigest() != identity:
                return None
            while block := f.read(1 << 20):
                digest.update(block)
        whole = "sha256:" + digest.hexdigest()
        admission = admit(self.store, whole, self.wanted, self.seen)
        if admission is None:
            return None
        return replace(admission, skip_bytes=size, skip_lines=lines)

    def _admit(self, source: LocalSource) -> Admission | None:
        """The source's admission (None: already in the store); raises Damaged."""
        known = known_identity(self.store, source)
        if known is None and (grown := self._grown(source)) is not None:
            self.admitted[source.name] = grown
            return grown
        if known is None and source.compressed:  # one pass: hash and integrity
            digest, damage = source.read_through()
            if damage is not None:
                raise Damaged(*damage)
            known = digest
        elif (
            known is None
            and self.hasher is not None
            and not self.store.manifest.has_size(source.size)
        ):
            # New content, most likely: parsed while it is hashed (a file the size of one
            # already in is hashed first, so a copy costs its hashing, not a parse).
            self.pending[source.name] = self.hasher.submit(source.content_hash)
            self.admitted[source.name] = Admission(PENDING)
            return self.admitted[source.name]
        identity = known or source.content_hash()
        admission = admit(self.store, identity, self.wanted, self.seen)
        if admission is not None:
            self.admitted[source.name] = admission
        return admission

    def _pieces(self, source: Source, index: int) -> Iterator[Segment] | None:
        """The source's segments, or None when a log object could not be fetched."""
        if isinstance(source, LocalSource):
            admission = self.admitted.get(source.name)
            start = admission.skip_bytes if admission is not None else 0
            return _segments(source, index, self.block_bytes, start)
        assert self.fetched is not None
        obj, data = next(self.fetched)
        assert obj == source, "fetches come back in listing order"
        if isinstance(data, SourceError):
            self.result.failed.append({"source": source.name, "error": str(data)})
            return None
        return _s3_segments(data, index, self.block_bytes)

    def __iter__(self) -> Iterator[Block | Commit]:
        segments: list[Segment] = []
        names: list[str] = []
        size = since_commit = 0
        done = Commit()

        def block() -> Block:
            nonlocal segments, names, size
            out = Block(segments, tuple(names), size)
            segments, names, size = [], [], 0
            return out

        for source in self.sources:
            try:
                admission = (
                    self._admit(source)
                    if isinstance(source, LocalSource)
                    else self.admitted.get(source.name)
                )
            except Damaged as damage:  # the rest of the run goes on without it
                error = f"{source.name}: {damage.reason}"
                self.result.failed.append({"source": source.name, "error": error})
                done.failed.append((source.name, damage.line, damage.reason))
                if self.progress is not None:
                    self.progress(source.size, sources=1)
                continue
            pieces = None if admission is None else self._pieces(source, len(names))
            if admission is None or pieces is None:
                self.result.skipped += admission is None and source.name not in self.already
                if self.progress is not None:
                    self.progress(source.size, sources=1)
                continue
            names.append(source.name)
            for segment in pieces:
                # Its index in the block being packed: a source that began in an earlier
                # block is the first source of each block after that one.
                segments.append(replace(segment, source=len(names) - 1))
                size += segment.length
                if size >= self.block_bytes:
                    yield block()
                    names = [source.name]
            done.sources.append((source, admission))
            since_commit += source.size
            if since_commit >= self.commit_bytes:
                if segments:
                    yield block()
                yield done
                done, since_commit = Commit(), 0
        if segments:
            yield block()
        yield done
