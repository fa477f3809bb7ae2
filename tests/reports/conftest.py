"""A store of the bundled samples plus requests whose fields carry markup and escapes."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from s3sleuth import ingest, synth
from s3sleuth.parse.render import render_line
from tests.conftest import ACCESS_SAMPLES

SCRIPT_UA = "<script>window.__xss=1;alert(1)</script>"
IMG_KEY = '<img src=x onerror="window.__xss=2">/a.txt'
ESCAPE_UA = "evil\x1b]0;pwned\x07\x1b[31mred"
FORMULA_UA = '=HYPERLINK("http://x","y")'


def hostile_lines() -> bytes:
    rng = random.Random(3)
    when = datetime(2024, 2, 1, 1, 0, tzinfo=UTC)
    records = [
        synth.record(rng, when, bucket="web-assets", user_agent=SCRIPT_UA, field_count=27),
        synth.record(
            rng,
            when,
            bucket="web-assets",
            key_raw=quote(quote(IMG_KEY, safe="/"), safe="/"),
            request_uri=f"GET /{quote(IMG_KEY, safe='/')} HTTP/1.1",
            operation="REST.GET.OBJECT",
            field_count=27,
        ),
        synth.record(
            rng, when, bucket="web-assets", user_agent='=HYPERLINK("http://x")', field_count=27
        ),
    ]
    return b"".join(render_line(r).encode() + b"\n" for r in records)


@pytest.fixture(scope="session")
def report_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reports")
    hostile = root / "hostile.log"
    hostile.write_bytes(hostile_lines())
    store = root / "store"
    ingest([*map(str, ACCESS_SAMPLES[:2]), str(hostile)], store)
    return store
