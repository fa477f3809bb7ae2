"""Retrying AWS calls: one retry layer, with a deadline per request and a budget per run.

botocore's own retries are turned off where this is used: nested inside ours they made one
always-failing object cost 42 requests and 175 s. A dead endpoint ends the run; it is not
waited out.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

RETRYABLE_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ServiceUnavailableException",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
    "502",
    "504",
}


def call(what: Callable[[], T], backoff: float, deadline: float, budget: Budget) -> T:
    """`what()`, retried on throttling, 5xx and dropped connections with backoff, until it
    succeeds, fails for good, or the request's `deadline` or the run's `budget` is spent."""
    started, attempt = time.monotonic(), 0
    while True:
        attempt += 1
        try:
            return what()
        except Exception as err:
            pause = min(5.0, backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
            late = time.monotonic() + pause - started > deadline
            if not retryable(err) or late or not budget.spend(pause):
                raise
            time.sleep(pause)


class Budget:
    """The time a whole run may spend waiting to retry; shared by the fetching threads."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds
        self._lock = threading.Lock()

    def spend(self, seconds: float) -> bool:
        with self._lock:
            if self.left < seconds:
                self.left = 0.0
                return False
            self.left -= seconds
            return True


def code_of(err: Exception) -> str:
    response = getattr(err, "response", None) or {}
    error = response.get("Error", {}) if isinstance(response, dict) else {}
    return str(error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def retryable(err: Exception) -> bool:
    name = type(err).__name__
    if name in {
        "ConnectionClosedError",
        "EndpointConnectionError",
        "ReadTimeoutError",
        "ConnectTimeoutError",
        "ResponseStreamingError",
        "IncompleteReadError",
        "ProtocolError",
        "ConnectionError",
    }:
        return True
    return code_of(err) in RETRYABLE_CODES
