"""The library has the command line's reach: `s3sleuth.open()` gives one session whose
methods return what the commands print, and the README's example runs as written."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

import s3sleuth
from tests.conftest import REPO, SAMPLES
from tests.conftest import s3sleuth as cli


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "store"
    with s3sleuth.open(path, create=True) as session:
        result = session.ingest(str(SAMPLES))
    assert result.parsed > 3000
    return path


def test_the_package_exports_the_session_results_and_errors() -> None:
    for name in (
        "open",
        "Store",
        "Result",
        "Row",
        "Finding",
        "NetworkReport",
        "Summary",
        "IngestResult",
        "S3SleuthError",
        "UsageError",
        "QueryError",
        "StoreError",
    ):
        assert getattr(s3sleuth, name) is not None, name
    assert set(s3sleuth.__all__) >= {"open", "Store", "Result", "S3SleuthError"}
    assert issubclass(s3sleuth.StoreError, s3sleuth.S3SleuthError)


@pytest.mark.parametrize(
    ("command", "call"),
    [
        (["denied"], lambda s: s.denied()),
        (["denied", "--bucket", "partner-uploads"], lambda s: s.denied(bucket="partner-uploads")),
        (["network"], lambda s: s.network()),
        (["network", "--by", "ip"], lambda s: s.network(by="ip")),
        (["clients", "--since", "2024-02-01T03:00"], lambda s: s.clients(since="2024-02-01T03:00")),
        (
            ["explain", "--session", "03bf7ddc20e33b8c"],
            lambda s: s.explain(session="03bf7ddc20e33b8c"),
        ),
    ],
)
def test_to_dict_is_exactly_the_json_the_command_prints(
    store: Path, command: list[str], call: Any
) -> None:
    run = cli(*command, "--store", str(store), "--format", "json")
    assert run.returncode == 0, run.stderr
    with s3sleuth.open(store) as session:
        answer = [item.to_dict() for item in call(session)]
    assert answer and answer == json.loads(run.stdout)


def test_one_connection_for_a_whole_session(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    opened: list[str] = []
    real = duckdb.connect

    def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append(str(args[0]) if args else ":memory:")
        return real(*args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    with s3sleuth.open(store) as session:
        session.summary()
        session.denied()
        session.network()
        session.clients()
    assert opened == [str(store / "catalog.duckdb")]


def test_opening_a_store_does_not_rebuild_its_views(store: Path) -> None:
    catalog = store / "catalog.duckdb"
    before = catalog.stat().st_mtime_ns
    for _ in range(2):
        with s3sleuth.open(store) as session:
            session.query("SELECT count(*) FROM access_log")
    assert catalog.stat().st_mtime_ns == before


def test_new_data_is_seen_by_the_next_session(tmp_path: Path) -> None:
    path = tmp_path / "store"
    access = sorted(p for p in SAMPLES.iterdir() if p.is_file())
    with s3sleuth.open(path, create=True) as session:
        session.ingest(str(access[0]))
        first = session.query("SELECT count(*) AS n FROM access_log").column("n")[0].as_py()
        session.ingest(str(access[1]))  # the same session sees what it just ingested
        second = session.query("SELECT count(*) AS n FROM access_log").column("n")[0].as_py()
        assert session.query("SELECT count(*) AS n FROM transfer_events")["n"][0].as_py() == 0
    assert 0 < first < second


def test_library_errors_speak_library_terms(tmp_path: Path) -> None:
    with pytest.raises(s3sleuth.StoreError) as err:
        s3sleuth.open(tmp_path / "nothing-here")
    assert "no s3sleuth store" in str(err.value)
    with pytest.raises(s3sleuth.UsageError, match="unknown engine"):
        s3sleuth.open(tmp_path, engine="sqlite")
    assert err.value.to_dict()["error"] == "store"


def test_the_readme_example_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (REPO / "README.md").read_text()
    section = text.split("## Python API", 1)[1]
    code, printed = re.findall(r"```(?:python)?\n(.*?)```", section, re.S)[:2]
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == printed


def test_a_store_this_process_may_only_read_is_queried(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write (the lock file, the catalog) fails as on a read-only mount; queries and
    diagnoses still answer, from views defined in memory."""
    import shutil

    from s3sleuth.store import store as module

    copy = tmp_path / "copy"
    shutil.copytree(store, copy)
    (copy / "catalog.duckdb").unlink()  # so the session would have to write one

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(module.StoreDir, "lock", refuse)
    with s3sleuth.open(copy) as session:
        assert session.query("SELECT count(*) AS n FROM access_log")["n"][0].as_py() > 3000
        assert session.denied()
    assert not (copy / "catalog.duckdb").exists()
