"""`verify` and `repair`: the store checks itself, and a lost file is restored by re-ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import s3sleuth
from tests.conftest import ACCESS_SAMPLES
from tests.conftest import s3sleuth as run


def count(store: Path) -> int:
    return int(s3sleuth.query("SELECT count(*) AS n FROM access_log", store).column("n")[0].as_py())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    s3sleuth.open(path, create=True).ingest(*(str(p) for p in ACCESS_SAMPLES[:3]))
    return path


def data_files(store: Path) -> list[Path]:
    return sorted((store / "access_log").rglob("*.parquet"))


def test_a_sound_store_verifies(store: Path) -> None:
    with s3sleuth.open(store) as opened:
        assert opened.verify() == [] and opened.damage() == []
    done = run("verify", "--store", str(store))
    assert done.returncode == 0 and "the store is sound" in done.stderr


def test_a_lost_file_is_found_warned_about_and_restored(store: Path) -> None:
    whole = count(store)
    lost = data_files(store)[0]
    lost.unlink()
    query = run("query", "SELECT count(*) AS n FROM access_log", "--store", str(store))
    assert query.returncode == 0 and int(query.stdout.split()[1]) < whole
    assert "warning: the store is damaged: 1 data file(s) missing" in query.stderr
    denied = run("denied", "--store", str(store))
    assert "warning: the store is damaged" in denied.stderr
    verify = run("verify", "--store", str(store), "--format", "csv")
    assert verify.returncode == 1 and "missing" in verify.stdout and lost.name in verify.stdout
    repair = run("repair", "--store", str(store))
    assert repair.returncode == 0 and "ingest them again" in repair.stderr
    assert run("verify", "--store", str(store)).returncode == 0
    s3sleuth.open(store).ingest(*(str(p) for p in ACCESS_SAMPLES[:3]))
    assert count(store) == whole  # every row back, none twice


def test_changed_content_and_untracked_files_are_problems(store: Path) -> None:
    changed = data_files(store)[0]
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other bytes
    changed.write_bytes(bytes(data))
    stray = data_files(store)[1]
    shutil.copy(stray, stray.with_name("copy-" + stray.name))  # would be counted twice
    with s3sleuth.open(store) as opened:
        kinds = {p.kind: p for p in opened.verify()}
        assert set(kinds) >= {"untracked"} and set(kinds) & {"checksum", "unreadable", "rows"}
        assert opened.damage() == []  # sizes are unchanged: only the full check sees it
        opened.repair()
    assert not stray.with_name("copy-" + stray.name).exists()
    with s3sleuth.open(store) as opened:
        assert opened.verify() == []


def test_verify_quick_finds_lost_files_without_reading_them(store: Path) -> None:
    data_files(store)[0].unlink()
    done = run("verify", "--store", str(store), "--quick", "--format", "json")
    assert done.returncode == 1 and '"kind": "missing"' in done.stdout


def test_a_damaged_manifest_is_a_clear_error(store: Path) -> None:
    manifest = store / "manifest.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(str(manifest) + suffix).unlink(missing_ok=True)
    manifest.write_bytes(manifest.read_bytes()[:100])
    done = run("verify", "--store", str(store))
    assert done.returncode in (1, 2) and "manifest" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    ingest = run("ingest", str(ACCESS_SAMPLES[3]), "--store", str(store))
    assert ingest.returncode == 2 and "manifest" in ingest.stderr
