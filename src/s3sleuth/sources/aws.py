"""What every AWS source shares: a client, one retry layer, and errors in words.

One retry layer, with a deadline per request and a budget per run: botocore's own retries
are turned off (`client`), since nested inside ours they made one always-failing object
cost 42 requests and 175 s. A dead endpoint ends the run; it is not waited out.

boto3 is imported only when an AWS source is used (the `s3` extra).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from s3sleuth.errors import MissingExtraError, SourceError, UsageError

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


def session(profile: str | None, region: str | None, extra: str = "s3") -> Any:
    """A boto3 session (boto3's credential chain, with these overrides)."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        raise MissingExtraError("boto3", extra) from None
    from botocore.exceptions import ProfileNotFound  # type: ignore[import-untyped]

    try:
        return boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        raise UsageError(
            f"there is no AWS profile named {profile!r}",
            hint="check {profile} against 'aws configure list-profiles'",
            params=("profile",),
        ) from None


def client(
    service: str, profile: str | None, region: str | None, endpoint_url: str | None, **config: Any
) -> Any:
    """A client of `service` whose calls are tried once: `call` retries them."""
    from botocore.config import Config  # type: ignore[import-untyped]

    options = Config(
        retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30, **config
    )
    return session(profile, region).client(service, endpoint_url=endpoint_url, config=options)


def credentials_error(err: Exception) -> SourceError | None:
    """The one-line error for credentials that are missing, expired or rejected; None for
    any other error."""
    name, code = type(err).__name__, code_of(err)
    if name in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound"):
        return SourceError(
            f"no usable AWS credentials ({err})",
            hint="run 'aws configure', set AWS_PROFILE or pass {profile}",
            params=("profile",),
        )
    expired = ("ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired")
    if code in expired or name == "TokenRetrievalError":
        return SourceError(
            "the AWS credentials have expired",
            hint="refresh them (for example 'aws sso login') and run again",
        )
    rejected = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                "InvalidSignatureException")  # fmt: skip
    if code in rejected:
        return SourceError(
            f"AWS rejected the credentials ({code})", hint="check the access key and secret"
        )
    return None
