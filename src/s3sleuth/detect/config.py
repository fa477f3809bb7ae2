"""Thresholds, allow-lists, business hours and time zone of `detect`, with their defaults.

A config file (`detect --config FILE`) is TOML with any of these keys; what it leaves out
keeps its default:

    reads_per_source = 100        # anonymous reads from one address in the window
    errors_per_source = 50        # 403s and 404s from one address (enumeration)
    deletions_per_principal = 1000
    download_factor = 10.0        # bytes read against the principal's own baseline ...
    download_min_bytes = 1073741824   # ... and at least this much
    presigned_addresses = 5       # addresses using one presigned URL
    business_hours = [8, 18]      # [first hour, hour after the last], local time
    business_days = [1, 2, 3, 4, 5]   # ISO weekdays: Monday is 1
    time_zone = "UTC"             # an IANA name
    allow_principals = []         # ARNs (or role/user names) never reported
    allow_addresses = []          # source addresses never reported
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from s3sleuth.errors import UsageError
from s3sleuth.sql.literal import string_literal


@dataclass(frozen=True)
class Config:
    reads_per_source: int = 100
    errors_per_source: int = 50
    deletions_per_principal: int = 1000
    download_factor: float = 10.0
    download_min_bytes: int = 1 << 30
    presigned_addresses: int = 5
    business_hours: tuple[int, int] = (8, 18)
    business_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    time_zone: str = "UTC"
    allow_principals: tuple[str, ...] = field(default_factory=tuple)
    allow_addresses: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None) -> Config:
        if path is None:
            return cls()
        hint = "see `s3sleuth detect --help` for the keys and their types"
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise UsageError(
                "{config} " + f"{path}: {err}", hint=hint, params=("config",)
            ) from None
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise UsageError(
                "{config} " + f"{path}: unknown key {unknown[0]!r}", hint=hint, params=("config",)
            )
        values: dict[str, Any] = {}
        for name, value in data.items():
            default = getattr(cls(), name)
            if isinstance(default, tuple):
                value = tuple(value) if isinstance(value, list) else value
            if type(value) is not type(default) and not (
                isinstance(default, float) and isinstance(value, int)
            ):
                raise UsageError(
                    "{config} " + f"{path}: {name} must be like {default!r}",
                    hint=hint,
                    params=("config",),
                )
            values[name] = value
        return cls(**values)

    def placeholders(self) -> dict[str, str]:
        """The SQL text each `$name` in a rule stands for."""
        out = {
            f.name: str(getattr(self, f.name))
            for f in fields(self)
            if not f.name.startswith(("allow", "business", "time_zone"))
        }
        first, last = self.business_hours
        out["business_start"], out["business_end"] = str(first), str(last)
        out["business_days"] = ", ".join(str(d) for d in self.business_days)
        out["time_zone"] = self.time_zone.replace("'", "")  # for rules that quote it
        zone = string_literal(self.time_zone)
        # UTC is the stored time's own zone: no conversion per row (the off-hours rule took
        # 0.49 s on 4M rows with it)
        out["local_time"] = (
            "time" if self.time_zone.upper() == "UTC" else f"time AT TIME ZONE {zone}"
        )
        return out
