"""What an ingest reports: its result, and the progress callback it calls as it goes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from s3sleuth.sources import LocalSource
from s3sleuth.sources.s3 import S3Object


class Progress(Protocol):
    """Told what was just processed: source bytes, lines, and sources finished."""

    def __call__(self, nbytes: int, *, lines: int = 0, sources: int = 0) -> None: ...


Source = LocalSource | S3Object


@dataclass
class IngestResult:
    store: str
    files: int = 0  # sources ingested by this run
    skipped: int = 0  # sources already in the store
    lines: int = 0
    parsed: int = 0
    rejected: int = 0
    seconds: float = 0.0
    outside_window: int = 0  # lines outside --since/--until, or stored by an earlier run
    failed: list[dict[str, str]] = field(default_factory=list)  # sources that could not be read
    transfer_events: int = 0  # of `parsed`, the Transfer Family events
    cloudtrail_events: int = 0  # of `parsed`, the CloudTrail records
    log_events: int = 0  # CloudWatch Logs events read (`cloudwatch://` sources)
    log_events_known: int = 0  # of those, events the store already had

    @property
    def lines_per_second(self) -> float:
        return self.lines / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = {**asdict(self), "lines_per_second": round(self.lines_per_second)}
        out["seconds"] = round(self.seconds, 3)
        return out
