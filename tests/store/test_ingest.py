"""Ingest end to end on a real store: idempotence, source kinds, and lossless accounting."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3sleuth import ingest, query
from s3sleuth import open as s3sleuth_open
from s3sleuth.errors import SourceError
from s3sleuth.parse import render_line
from tests.conftest import ACCESS_SAMPLES, SAMPLES


def count(store: Path, sql: str = "SELECT count(*) AS n FROM access_log") -> int:
    return int(query(sql, store).column(0)[0].as_py())


def test_ingest_is_idempotent(store: Path) -> None:
    first = ingest([str(SAMPLES)], store)
    assert first.files == sum(p.is_file() for p in SAMPLES.rglob("*")) and first.rejected == 0
    rows = count(store)
    assert rows == first.parsed - first.transfer_events - first.cloudtrail_events
    assert first.parsed == first.lines
    again = ingest([str(SAMPLES)], store)
    assert (again.files, again.skipped, again.lines) == (0, first.files, 0)
    assert count(store) == rows


def test_the_same_content_at_another_path_adds_nothing(store: Path, tmp_path: Path) -> None:
    one = ACCESS_SAMPLES[0]
    copy = tmp_path / "copy" / one.name
    copy.parent.mkdir()
    shutil.copy(one, copy)
    ingest([str(one)], store)
    result = ingest([str(copy)], store)
    assert (result.files, result.skipped) == (0, 1)


def test_a_duplicate_found_once_hashed_redoes_the_batch_without_it(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New files are parsed while they are hashed; when two turn out to hold the same content,
    the uncommitted batch is redone with hashing first, and the copy is skipped."""
    import s3sleuth.pipeline.consumer as consumer

    late: list[str] = []
    real_confirm = consumer.confirm

    def spying_confirm(*args: object, **kwargs: object) -> object:
        try:
            return real_confirm(*args, **kwargs)  # type: ignore[arg-type]
        except Exception as err:
            late.append(type(err).__name__)
            raise

    monkeypatch.setattr(consumer, "confirm", spying_confirm)
    first, other = ACCESS_SAMPLES[0], ACCESS_SAMPLES[1]
    copy = tmp_path / "copy" / first.name
    copy.parent.mkdir()
    shutil.copy(first, copy)
    result = ingest([str(first), str(other), str(copy)], store, commit_bytes=1)
    assert late == ["LateDuplicate"]
    assert (result.files, result.skipped) == (2, 1)  # the commit of `first` is not redone
    lines = sum(len(p.read_bytes().splitlines()) for p in (first, other))
    assert result.lines == result.parsed == lines == count(store)
    assert count(store, "SELECT count(DISTINCT source_file) FROM access_log") == 2


def test_a_redo_counts_each_skipped_source_once(store: Path, tmp_path: Path) -> None:
    """Three of the files in the store and a copy of one under a new name: the copy is found
    late, the batch is redone, and the summary still says 4 already in the store, not 3 + 4."""
    folder = tmp_path / "logs"
    folder.mkdir()
    for source in ACCESS_SAMPLES[:3]:
        shutil.copy(source, folder)
    ingest([str(folder)], store)
    for source in ACCESS_SAMPLES[3:]:
        shutil.copy(source, folder)
    shutil.copy(ACCESS_SAMPLES[0], folder / "copy-of-the-first")
    result = ingest([str(folder)], store)
    assert len(ACCESS_SAMPLES) > 4
    assert (result.files, result.skipped) == (len(ACCESS_SAMPLES) - 3, 4)


def test_gzip_directory_and_glob_sources_give_the_same_rows(store: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / ".hidden").mkdir(parents=True)
    files = ACCESS_SAMPLES[:2]
    with gzip.open(logs / "first.gz", "wb") as out:
        out.write(files[0].read_bytes())
    shutil.copy(files[1], logs / "second")
    shutil.copy(files[1], logs / ".hidden" / "ignored")
    result = ingest([str(logs / "*")], store)
    expected = sum(f.read_bytes().count(b"\n") for f in files)
    assert (result.files, result.lines, result.parsed) == (2, expected, expected)
    names = {
        r["source_file"]
        for r in query("SELECT DISTINCT source_file FROM access_log", store).to_pylist()
    }
    assert names == {str(logs / "first.gz"), str(logs / "second")}


def test_a_corrupt_gzip_file_is_reported_and_the_good_files_are_stored(
    store: Path, tmp_path: Path
) -> None:
    good = ACCESS_SAMPLES[0].read_bytes()
    whole = gzip.compress(good)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a-cut.gz").write_bytes(whole[: len(whole) // 2])  # truncated mid-stream
    (logs / "b-good.gz").write_bytes(whole)
    shutil.copy(ACCESS_SAMPLES[1], logs / "c-plain")
    result = ingest([str(logs)], store)
    assert result.files == 2 and count(store) == good.count(b"\n") + len(
        ACCESS_SAMPLES[1].read_bytes().splitlines()
    )
    (failure,) = result.failed
    assert failure["source"] == str(logs / "a-cut.gz")
    assert "a-cut.gz: not a readable gzip file" in failure["error"]
    (reject,) = query("SELECT source_file, source_line, reason FROM rejects", store).to_pylist()
    assert reject["source_file"] == str(logs / "a-cut.gz") and reject["source_line"] >= 1
    assert reject["reason"].startswith("not a readable gzip file")
    again = ingest([str(logs)], store)  # the damaged file is not in the manifest: tried again
    assert (again.files, again.skipped, len(again.failed)) == (0, 2, 1)


def test_cli_reports_a_damaged_file_on_stderr_and_exits_1(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "cut.gz").write_bytes(gzip.compress(ACCESS_SAMPLES[0].read_bytes())[:200])
    shutil.copy(ACCESS_SAMPLES[1], logs / "good")
    done = subprocess.run(
        [sys.executable, "-m", "s3sleuth", "ingest", str(logs), "--store", str(tmp_path / "s")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("Ingested 1 file:")
    assert "cut.gz: not a readable gzip file" in done.stderr and "Traceback" not in done.stderr


def test_missing_source_is_a_clear_error(store: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        ingest(["/nonexistent/logs"], store)


def test_every_line_is_accounted_for_with_source_and_line_number(
    store: Path, tmp_path: Path
) -> None:
    good = ACCESS_SAMPLES[0].read_bytes().splitlines()[:3]
    lines = [
        good[0],
        b"garbage line",
        good[1],
        b"",
        b'x y [01/Feb/2024:00:00:00 +0000] "open',
        good[2].replace(b' HTTP/1.1"', b' HTTP/1.1\xff\xfe"', 1),  # inside the request line
    ]
    assert b"\xff" in lines[5]
    path = tmp_path / "mixed.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = ingest([str(path)], store)
    assert (result.lines, result.parsed, result.rejected) == (6, 3, 3)
    rejects = query(
        "SELECT source_file, source_line, reason, raw FROM rejects ORDER BY 2", store
    ).to_pylist()
    assert [(r["source_line"], r["raw"]) for r in rejects] == [
        (2, lines[1]),
        (4, lines[3]),
        (5, lines[4]),
    ]
    assert all(r["source_file"] == str(path) and r["reason"] for r in rejects)
    assert rejects[2]["reason"] == "line ends before the Requester field"
    kept = query("SELECT source_line, raw_line FROM access_log ORDER BY 1", store).to_pylist()
    assert [r["source_line"] for r in kept] == [1, 3, 6]
    assert kept[2]["raw_line"] == lines[5]  # non-UTF-8 bytes are kept exactly


def test_crlf_lines_parse_exactly(store: Path, tmp_path: Path) -> None:
    text = ACCESS_SAMPLES[0].read_bytes().splitlines()[:20]
    path = tmp_path / "crlf.log"
    path.write_bytes(b"".join(line + b"\r\n" for line in text))
    result = ingest([str(path)], store)
    assert (result.parsed, result.rejected) == (20, 0)
    rows = query("SELECT * FROM access_log ORDER BY source_line", store).to_pylist()
    assert all(r["raw_line"] is None for r in rows)
    assert [render_line(r).encode() for r in rows] == text


def test_stdin_source(store: Path) -> None:
    data = ACCESS_SAMPLES[0].read_bytes()
    run = subprocess.run(
        [sys.executable, "-m", "s3sleuth", "ingest", "-", "--store", str(store), "-q"],
        input=data,
        capture_output=True,
        check=True,
    )
    assert b"Ingested 1 file:" in run.stdout
    assert count(
        store, "SELECT count(*) FROM access_log WHERE source_file = '<stdin>'"
    ) == data.count(b"\n")


def test_parsing_threads_give_the_same_rows(tmp_path: Path) -> None:
    from s3sleuth import synth

    path = tmp_path / "big.log"
    with open(path, "wb") as out:
        for line in synth.lines(20_000, hostile_rate=0.01):
            out.write(line + b"\n")
    inline = ingest([str(path)], tmp_path / "a", workers=1)
    pooled = ingest([str(path)], tmp_path / "b", workers=2, block_bytes=1 << 20)
    assert (inline.parsed, inline.rejected) == (pooled.parsed, pooled.rejected)
    assert inline.parsed + inline.rejected == 20_000
    sql = "SELECT sum(hash(source_line, bytes_sent, key, time)) FROM access_log"
    assert count(tmp_path / "a", sql) == count(tmp_path / "b", sql)


def test_a_source_spanning_blocks_after_another_keeps_its_lines(tmp_path: Path) -> None:
    """A second file that starts inside a block and runs over several more: each of its
    blocks names it by its own index (it once kept the index of its first block)."""
    from s3sleuth import synth

    lines = list(synth.lines(6_000, hostile_rate=0.0))
    (tmp_path / "a.log").write_bytes(b"\n".join(lines[:500]) + b"\n")
    (tmp_path / "b.log").write_bytes(b"\n".join(lines[500:]) + b"\n")
    result = ingest([str(tmp_path)], tmp_path / "store", block_bytes=256 << 10)
    assert (result.parsed, result.rejected) == (6_000, 0)
    per_file = "SELECT count(*) FROM access_log WHERE source_file LIKE '%b.log'"
    assert count(tmp_path / "store", per_file) == 5_500
    last = "SELECT max(source_line) FROM access_log WHERE source_file LIKE '%b.log'"
    assert count(tmp_path / "store", last) == 5_500


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.lists(
        st.one_of(
            st.binary(max_size=120),
            st.sampled_from(
                [line + b"\n" for line in ACCESS_SAMPLES[0].read_bytes().splitlines()[:5]]
            ),
        ),
        max_size=12,
    )
)
def test_arbitrary_bytes_never_crash_ingest(tmp_path: Path, data: list[bytes]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "fuzz.log"
        blob = b"".join(data)
        path.write_bytes(blob)
        if blob.startswith(b"\x1f\x8b"):  # claims to be gzip: a corrupt one is a file error
            try:
                gzip.decompress(blob)
            except (EOFError, OSError):
                with pytest.raises(SourceError, match="not a readable gzip file"):
                    ingest([str(path)], Path(tmp) / "store")
                return
            blob = gzip.decompress(blob)  # a valid one is read decompressed
        result = ingest([str(path)], Path(tmp) / "store")
        lines = blob.count(b"\n") + (0 if blob.endswith(b"\n") or not blob else 1)
        assert result.lines == lines
        assert result.parsed + result.rejected == lines
        if lines:
            rows = count(Path(tmp) / "store")
            rejects = count(Path(tmp) / "store", "SELECT count(*) FROM rejects")
            assert (rows, rejects) == (result.parsed, result.rejected)


def test_a_gzip_header_alone_is_reported_like_any_damaged_file(store: Path, tmp_path: Path) -> None:
    """Found by the fuzz test: the kind detection met the broken gzip first, with another
    message than the parser's."""
    path = tmp_path / "broken.log.gz"
    path.write_bytes(b"\x1f\x8b")
    (failure,) = ingest([str(path)], store).failed
    assert "broken.log.gz: not a readable gzip file" in failure["error"]


def test_a_file_name_that_is_not_utf8_is_stored_escaped(tmp_path: Path) -> None:
    import os

    logs = tmp_path / "logs"
    logs.mkdir()
    odd = os.path.join(os.fsencode(logs), b"log\xff.log")
    with open(odd, "wb") as out:
        out.write(ACCESS_SAMPLES[0].read_bytes())
    run = subprocess.run(
        [sys.executable, "-m", "s3sleuth", "ingest", str(logs), "--store", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    (name,) = {
        r["source_file"]
        for r in query("SELECT source_file FROM access_log", tmp_path / "s").to_pylist()
    }
    assert name.endswith("log\\xff.log")


def test_the_same_log_gzipped_and_plain_is_one_source(store: Path, tmp_path: Path) -> None:
    plain = ACCESS_SAMPLES[0]
    packed = tmp_path / (plain.name + ".gz")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    first = ingest([str(plain)], store)
    again = ingest([str(packed)], store)
    assert (again.files, again.skipped) == (0, 1)
    assert count(store) == first.parsed == len(plain.read_bytes().splitlines())


def test_a_copy_of_a_stored_file_is_hashed_not_parsed(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3sleuth.pipeline.consumer as consumer

    ingest([str(ACCESS_SAMPLES[0])], store)
    copy = tmp_path / "copy"
    shutil.copy(ACCESS_SAMPLES[0], copy)
    confirmed: list[str] = []
    real = consumer.confirm
    monkeypatch.setattr(consumer, "confirm", lambda *a, **k: confirmed.append("x") or real(*a, **k))
    result = ingest([str(copy)], store)
    assert (result.files, result.skipped, confirmed) == (0, 1, [])  # never admitted on trust


def test_a_file_read_as_the_wrong_kind_can_be_read_again_as_the_right_one(
    store: Path, tmp_path: Path
) -> None:
    events = SAMPLES / "transfer-family"
    legacy = next(p for p in sorted(events.iterdir()) if p.name.endswith("-legacy.log"))
    wrong = ingest([str(legacy)], store, kind="access")
    assert wrong.parsed == 0 and wrong.rejected > 0
    right = ingest([str(legacy)], store, kind="transfer")
    assert right.files == 1 and right.transfer_events > 0
    again = ingest([str(legacy)], store, kind="transfer")
    assert (again.files, again.skipped) == (0, 1)


def test_a_file_that_grows_adds_only_its_new_lines(store: Path, tmp_path: Path) -> None:
    lines = [line + b"\n" for line in ACCESS_SAMPLES[0].read_bytes().splitlines()]
    assert len(lines) >= 110
    log = tmp_path / "growing.log"
    log.write_bytes(b"".join(lines[:100]))
    ingest([str(log)], store)
    with log.open("ab") as more:
        more.write(b"".join(lines[100:110]))
    grown = ingest([str(log)], store)
    assert (grown.files, grown.lines, grown.parsed) == (1, 10, 10)
    assert count(store) == 110  # not 210
    numbers = query("SELECT source_line FROM access_log ORDER BY 1", store).column(0).to_pylist()
    assert numbers == list(range(1, 111))
    assert ingest([str(log)], store).skipped == 1  # and then it is in the store


def test_a_rewritten_file_replaces_its_old_rows(store: Path, tmp_path: Path) -> None:
    lines = ACCESS_SAMPLES[0].read_bytes().splitlines(keepends=True)
    log = tmp_path / "rewritten.log"
    log.write_bytes(b"".join(lines[:30]))
    other = tmp_path / "other.log"
    other.write_bytes(b"".join(lines[100:110]))
    ingest([str(log), str(other)], store)  # one batch, two sources
    log.write_bytes(b"".join(lines[40:45]))  # new content under the same name
    result = ingest([str(log)], store)
    assert result.files == 1
    ids = "SELECT source_file, count(*) AS n FROM access_log GROUP BY 1 ORDER BY 1"
    assert query(ids, store).to_pylist() == [
        {"source_file": str(other), "n": 10},  # the other source's rows stay
        {"source_file": str(log), "n": 5},  # the old 30 are gone, never beside the new 5
    ]
    assert ingest([str(log)], store).skipped == 1
    with s3sleuth_open(store) as opened:
        assert opened.verify() == []  # the rewritten data files are recorded as they are


def test_a_replacement_left_by_a_crash_is_finished_next_time(store: Path, tmp_path: Path) -> None:
    from s3sleuth.store.store import StoreDir

    lines = ACCESS_SAMPLES[0].read_bytes().splitlines(keepends=True)
    log = tmp_path / "crash.log"
    log.write_bytes(b"".join(lines[:20]))
    ingest([str(log)], store)
    target = StoreDir.open(store)
    (identity,) = [r[0] for r in target.manifest._db.execute("SELECT identity FROM sources")]
    target.manifest._db.execute(
        "INSERT INTO replacements VALUES (?, ?, ?)", (identity, str(log), "no-such-batch")
    )
    target.close()
    StoreDir.open(store).close()  # the next opening writer finishes it
    assert count(store) == 0
