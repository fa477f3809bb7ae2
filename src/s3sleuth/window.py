"""The time window of a diagnosis: --since and --until, as ISO times or relative ages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from s3sleuth.errors import UsageError
from s3sleuth.sql.literal import string_literal

_AGE = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(value: str, param: str, now: datetime | None = None) -> datetime:
    """`2024-02-01`, `2024-02-01T10:00`, `…+02:00`, or an age such as `90m`, `2h`, `7d` ago."""
    text = value.strip()
    age = _AGE.fullmatch(text.lower())
    if age:
        amount, unit = int(age.group(1)), _UNITS[age.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: amount})
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            "{" + param + "} " + f"{value!r} is not a time",
            hint="use ISO 8601 like 2024-02-01T10:00 or an age like 2h or 7d",
            params=(param,),
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True)
class Window:
    since: datetime | None = None
    until: datetime | None = None
    bucket: str | None = None

    @classmethod
    def parse(cls, since: str | None, until: str | None, bucket: str | None) -> Window:
        window = cls(
            parse_time(since, "since") if since else None,
            parse_time(until, "until") if until else None,
            bucket,
        )
        if window.since and window.until and window.since > window.until:
            raise UsageError(
                "{since} is later than {until}", hint="swap them", params=("since", "until")
            )
        return window

    def where(self, alias: str | None = None) -> str:
        """Athena SQL conditions on `access_log` (TRUE when the window is open); `alias`
        qualifies the columns, for queries that join it."""
        at = f"{alias}." if alias else ""
        conditions = ["TRUE"]
        if self.since:
            conditions.append(f"{at}time >= from_iso8601_timestamp('{self.since.isoformat()}')")
        if self.until:
            conditions.append(f"{at}time < from_iso8601_timestamp('{self.until.isoformat()}')")
        if self.bucket:
            conditions.append(f"{at}bucket = {string_literal(self.bucket)}")
        return " AND ".join(conditions)
