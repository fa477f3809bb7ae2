"""Docs that are generated must be up to date, and must list every field."""

from __future__ import annotations

import re

from s3sleuth.docs import FIELDS_DOC, fields_markdown
from s3sleuth.fields import EXTRA_COLUMNS, FIELDS
from s3sleuth.samples import generate
from tests.conftest import REPO, SAMPLES


def test_fields_doc_is_generated_from_the_field_table() -> None:
    assert FIELDS_DOC.read_text() == fields_markdown(), "run: python -m s3sleuth.docs"


def test_fields_doc_lists_every_field_and_column() -> None:
    text = FIELDS_DOC.read_text()
    for f in FIELDS:
        assert f"`{f.name}`" in text and f"`{f.athena}`" in text and f.aws_name in text
    for c in EXTRA_COLUMNS:
        assert f"`{c.name}`" in text


def test_bundled_samples_are_what_the_generator_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    written = sorted(p.relative_to(tmp_path) for p in generate(tmp_path))
    committed = sorted(p.relative_to(SAMPLES) for p in SAMPLES.rglob("*") if p.is_file())
    assert written == committed
    for name in written:
        new, old = tmp_path / name, SAMPLES / name
        assert new.read_bytes() == old.read_bytes(), "run: python -m s3sleuth.samples"


def test_readme_shows_the_two_commands_and_every_command_has_docs() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    for command in ("ingest", "query", "denied", "network", "clients", "demo"):
        assert re.search(rf"s3sleuth {command}\b", readme), command
