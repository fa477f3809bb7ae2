"""--since and --until: ISO times, offsets and relative ages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from s3sleuth.diagnose.actions import iam_actions
from s3sleuth.errors import UsageError
from s3sleuth.window import Window, parse_time

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-01", datetime(2024, 2, 1, tzinfo=UTC)),
        ("2024-02-01T10:30", datetime(2024, 2, 1, 10, 30, tzinfo=UTC)),
        ("2024-02-01T10:30:00+02:00", datetime(2024, 2, 1, 8, 30, tzinfo=UTC)),
        ("2024-02-01T10:30:00Z", datetime(2024, 2, 1, 10, 30, tzinfo=UTC)),
        ("90m", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
        ("2h", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("7d", datetime(2024, 2, 23, 12, 0, tzinfo=UTC)),
        ("1w", datetime(2024, 2, 23, 12, 0, tzinfo=UTC)),
    ],
)
def test_times(text: str, expected: datetime) -> None:
    assert parse_time(text, "since", now=NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "2h ago", "2024-13-01", ""])
def test_bad_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match=r"^since "):
        parse_time(text, "since", now=NOW)


def test_since_after_until_is_an_error() -> None:
    with pytest.raises(UsageError, match="later than"):
        Window.parse("2024-03-02", "2024-03-01", None)


def test_bucket_names_are_quoted_in_sql() -> None:
    assert "bucket = 'a''b'" in Window(bucket="a'b").where()


@pytest.mark.parametrize(
    ("operation", "object_level", "versioned", "actions"),
    [
        ("REST.HEAD.OBJECT", True, False, ["s3:GetObject"]),
        ("REST.GET.OBJECT", True, True, ["s3:GetObjectVersion"]),
        ("REST.COPY.OBJECT", True, True, ["s3:PutObject", "s3:GetObjectVersion"]),
        ("REST.GET.ACL", False, False, ["s3:GetBucketAcl"]),
        ("REST.GET.ACL", True, True, ["s3:GetObjectVersionAcl"]),
        ("REST.DELETE.UPLOAD", True, False, ["s3:AbortMultipartUpload"]),
        (
            "REST.GET.OBJECT_LOCK_CONFIGURATION",
            False,
            False,
            ["s3:GetBucketObjectLockConfiguration"],
        ),
        ("REST.OPTIONS.FAKE", True, False, []),
    ],
)
def test_actions(operation: str, object_level: bool, versioned: bool, actions: list[str]) -> None:
    assert iam_actions(operation, object_level=object_level, versioned=versioned) == actions
