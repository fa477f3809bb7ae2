"""The price table `cost` applies: built in, or a JSON file of the same shape (`--prices`).

The built-in table is S3 Standard in us-east-1, in USD, with the sources the README lists
(peers.md §d): tier 1 $0.005 and tier 2 $0.0004 per 1,000 requests, internet egress $0.09 per
GB (the first 10 TB tier; the first 100 GB a month are free per account, not applied here).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from s3sleuth.errors import UsageError

_NUMBERS = ("tier1_per_1000", "tier2_per_1000", "internet_egress_per_gb")


@dataclass(frozen=True)
class Prices:
    date: str
    region: str
    tier1_per_1000: float
    tier2_per_1000: float
    internet_egress_per_gb: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Prices:
        """A price file: a JSON object with `date`, `region` and the three prices (USD)."""
        hint = (
            "give a JSON object with date, region, tier1_per_1000, tier2_per_1000 and "
            "internet_egress_per_gb (numbers, USD)"
        )
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UsageError(
                "{prices} " + f"{path}: cannot read it ({err})", hint=hint, params=("prices",)
            ) from None
        if not isinstance(data, dict):
            raise UsageError("{prices} " + f"{path}: not a JSON object", hint=hint,
                             params=("prices",))  # fmt: skip
        missing = [k for k in ("date", "region", *_NUMBERS) if k not in data]
        bad = [
            k
            for k in _NUMBERS
            if k in data
            and (
                isinstance(data[k], bool)
                or not isinstance(data[k], int | float)
                or not math.isfinite(data[k])
                or data[k] < 0
            )
        ]
        if missing or bad:
            what = f"lacks {', '.join(missing)}" if missing else f"{', '.join(bad)} not a price"
            raise UsageError("{prices} " + f"{path}: {what}", hint=hint, params=("prices",))
        return cls(str(data["date"]), str(data["region"]), *(float(data[k]) for k in _NUMBERS))


# S3 Standard, us-east-1 (sources in the README, "What things cost").
BUILT_IN = Prices(
    date="2026-06-04",
    region="us-east-1",
    tier1_per_1000=0.005,
    tier2_per_1000=0.0004,
    internet_egress_per_gb=0.09,
)
