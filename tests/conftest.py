"""Shared fixtures. The conformance corpus is read in place from ../shared/conformance."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from s3sleuth.engines import Engine

REPO = Path(__file__).resolve().parents[1]
# Translations cached by the tests' processes go to a directory of this run, not ~/.cache.
os.environ.setdefault("S3SLEUTH_CACHE_DIR", tempfile.mkdtemp(prefix="s3sleuth-cache-"))
CONFORMANCE = Path(os.environ.get("S3SLEUTH_CONFORMANCE", REPO.parent / "shared" / "conformance"))
SAMPLES = REPO / "src" / "s3sleuth" / "samples" / "logs"


def s3sleuth(
    *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user would: a new process, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "s3sleuth", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=None if env is None else dict(env),
        timeout=120,
        check=False,
    )


def on_a_terminal(
    argv: list[str], env: Mapping[str, str], *, cwd: Path | None = None, stderr: Any = None
) -> tuple[int, str]:
    """Run `argv` with stdout on a pseudo terminal (stderr too unless given); its exit status
    and what the terminal received."""
    import pty

    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        argv, stdout=secondary, stderr=secondary if stderr is None else stderr, cwd=cwd,
        env=dict(env),
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    return process.wait(timeout=300), b"".join(chunks).decode()


# The sample access-log objects (named like S3's keys); the Transfer Family and CloudTrail
# samples live in subdirectories.
ACCESS_SAMPLES = sorted(p for p in SAMPLES.iterdir() if p.is_file())


# Fake AWS credentials for moto: no real account, profile or instance metadata is ever used.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def use_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def missing(what: str, how: str) -> None:
    """A test that needs something this machine lacks: skipped with the way to get it, but
    a failure under CI (`CI=true`, as .ci/run runs), which must run every test."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} is missing under CI: {how}")
    pytest.skip(f"{what} is missing: {how}")


@pytest.fixture(scope="session")
def conformance() -> Path:
    if not CONFORMANCE.is_dir():
        missing(
            f"the conformance corpus ({CONFORMANCE})",
            "check out ../shared beside the repo or set S3SLEUTH_CONFORMANCE",
        )
    return CONFORMANCE


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(autouse=True)
def _no_env_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3SLEUTH_STORE", raising=False)


SPLITTERS = ("compiled", "csv")


@contextmanager
def splitter(name: str) -> Iterator[None]:
    """Parse with the compiled tokenizer ("compiled") or PyArrow's CSV reader ("csv")."""
    from s3sleuth.parse import compiled

    if name == "compiled" and compiled._built is None:
        pytest.fail("the compiled module is not built: reinstall with a C compiler present")
    saved, compiled.ENABLED = compiled.ENABLED, name == "compiled"
    try:
        yield
    finally:
        compiled.ENABLED = saved


def engine(path: Path) -> Engine:
    """The engine of a session over the store at `path`, as the diagnoses take it."""
    import s3sleuth

    return s3sleuth.open(path).engine
