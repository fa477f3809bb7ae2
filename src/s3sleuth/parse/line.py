"""The reference parser: one line in, one record (or a rejection with a reason) out.

It is the truth for every edge case in format.md §9. The vectorized fast path only accepts lines
on which it provably agrees with this parser (the rebuilt line equals the raw line); every other
line comes here.

Quoting is not escaping in S3 logs: a quoted field ends at the `"` that is followed by the
grammar of the *next* field, so each quoted field is closed by looking ahead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from s3sleuth import limits
from s3sleuth.fields import BY_NAME, FIELDS, JSON_ONLY, KNOWN_FIELDS, MIN_FIELDS, Field
from s3sleuth.parse.keys import decode_key
from s3sleuth.parse.render import render_line

MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

_TIME = re.compile(
    r"\[([0-9]{2})/([A-Z][a-z]{2})/([0-9]{4}):([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r" ([+-])([0-9]{2})([0-9]{2})\]"
)
_DIGITS = re.compile(r"[0-9]+")
# After the Request-URI's closing quote: status, error code, bytes, size, total, turn-around,
# then the start of the Referer.
_AFTER_URI = re.compile(
    r" +([0-9]+|-) +([^ ]+) +([0-9]+|-) +([0-9]+|-) +([0-9]+|-) +([0-9]+|-) +(?=\"|-)"
)
_AWS_OPERATION = re.compile(r"(?:REST|SOAP|WEBSITE|BATCH|S3)\.[A-Z0-9_.]+")
_VERSION_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_MAX_REQUESTER_TOKENS = 12
_INT_LIMITS = {"int": 2**31 - 1, "bigint": 2**63 - 1}
_TLS_INDEX = BY_NAME["tls_version"].position - 18  # position within the tail tokens
_HOST_ID = BY_NAME["host_id"].position - 1  # index in the line's tokens
# The fields after Host Id that say what they can hold, by token index.
_VOCABULARY = tuple(
    (f.position - 1, f, re.compile(f.vocabulary)) for f in FIELDS if f.vocabulary is not None
)
# A Host Id split by spaces is rejoined from at most this many extra tokens.
_MAX_HOST_ID_JOINS = 3


class LineRejected(ValueError):
    """The line cannot be parsed; `reason` says why in one sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Cursor:
    """Walks a line token by token; fields are separated by one or more spaces."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def bare(self, what: str) -> str:
        self.skip_spaces()
        if self.pos >= len(self.text):
            raise LineRejected(f"line ends before the {what} field")
        end = self.text.find(" ", self.pos)
        end = len(self.text) if end < 0 else end
        token = self.text[self.pos : end]
        self.pos = end
        return token

    def peek_bare_tokens(self, limit: int) -> list[str]:
        return self.text[self.pos :].lstrip(" ").split(" ", limit)[:limit]


def _scan_time(cur: _Cursor) -> str:
    cur.skip_spaces()
    if cur.text.startswith("[", cur.pos):
        end = cur.text.find("]", cur.pos)
        if end < 0:
            raise LineRejected("the Time field has no closing ']'")
        token = cur.text[cur.pos : end + 1]
        cur.pos = end + 1
        return token
    return cur.bare("Time")


def _scan_head(cur: _Cursor) -> list[str]:
    """Requester (which may hold spaces), Request ID, Operation and Key."""
    cur.skip_spaces()
    tokens = [t for t in cur.peek_bare_tokens(_MAX_REQUESTER_TOKENS + 4) if t != ""]
    width = 1
    for k in range(1, min(_MAX_REQUESTER_TOKENS, len(tokens) - 4) + 1):
        if _AWS_OPERATION.fullmatch(tokens[k + 1]) and tokens[k + 3][:1] in ('"', "-"):
            width = k
            break
    requester = " ".join(cur.bare("Requester") for _ in range(width))
    return [requester, cur.bare("Request ID"), cur.bare("Operation"), cur.bare("Key")]


def _scan_request_uri(cur: _Cursor) -> tuple[str, list[str]]:
    """Request-URI and the six bare fields that follow it."""
    cur.skip_spaces()
    text = cur.text
    if not text.startswith('"', cur.pos):
        token = cur.bare("Request-URI")
        match = _AFTER_URI.match(text, cur.pos)
        if match is None:
            raise LineRejected("the fields after Request-URI are not status/error/bytes/times")
        cur.pos = match.end()
        return token, list(match.groups())
    close = text.find('"', cur.pos + 1)
    while close >= 0:
        match = _AFTER_URI.match(text, close + 1)
        if match is not None:
            token = text[cur.pos : close + 1]
            cur.pos = match.end()
            return token, list(match.groups())
        close = text.find('"', close + 1)
    if text.find('" ', cur.pos + 1) >= 0:
        raise LineRejected("the fields after Request-URI are not status/error/bytes/times")
    raise LineRejected("the quoted Request-URI never closes (the line is truncated or garbled)")


def _scan_referer_and_agent(cur: _Cursor) -> tuple[str, str, bool]:
    """Referer and User-Agent. Returns (referer, user_agent, ambiguous)."""
    text, start = cur.text, cur.pos
    last_quote = text.rfind('"')
    candidates = _referer_ends(text, start, last_quote)
    if not candidates:
        raise LineRejected("the quoted Referer or User-Agent never closes")
    referer_end, agent_start = candidates[0]
    referer = text[start:referer_end]
    if text.startswith('"', agent_start) and last_quote > agent_start:
        agent_end = last_quote + 1
    elif text.startswith("-", agent_start):
        agent_end = agent_start + 1
    else:
        raise LineRejected("the User-Agent field is neither quoted nor '-'")
    if agent_end < len(text) and text[agent_end] != " ":
        raise LineRejected("unexpected text right after the User-Agent field")
    cur.pos = agent_end
    return referer, text[agent_start:agent_end], len(candidates) > 1


def _referer_ends(text: str, start: int, last_quote: int) -> list[tuple[int, int]]:
    """Every (end of Referer, start of User-Agent) split that fits the grammar."""
    if text.startswith("-", start) and text.startswith(" ", start + 1):
        agent = start + 1
        while agent < len(text) and text[agent] == " ":
            agent += 1
        return [(start + 1, agent)]
    if not text.startswith('"', start):
        return []
    found = []
    close = text.find('"', start + 1)
    while close >= 0:
        agent = close + 1
        while agent < len(text) and text[agent] == " ":
            agent += 1
        # A quoted Referer is always followed by a quoted User-Agent: S3 writes a bare `-`
        # User-Agent only on rows whose Referer is a bare `-` too.
        if agent > close + 1 and text.startswith('"', agent) and agent < last_quote:
            found.append((close + 1, agent))
        close = text.find('"', close + 1)
    return found


def _scan_tail(cur: _Cursor) -> list[str]:
    tokens = cur.text[cur.pos :].split(" ")
    tokens = [t for t in tokens if t != ""]
    # Non-AWS producers (Storj) write "TLS 1.3": one field, not two.
    if (
        len(tokens) > _TLS_INDEX + 1
        and tokens[_TLS_INDEX] == "TLS"
        and _VERSION_NUMBER.fullmatch(tokens[_TLS_INDEX + 1])
    ):
        tokens[_TLS_INDEX : _TLS_INDEX + 2] = [f"TLS {tokens[_TLS_INDEX + 1]}"]
    return tokens


def _misfit(tokens: list[str]) -> str | None:
    """The first field after the User-Agent whose token it cannot hold, as a reason."""
    for index, field, vocabulary in _VOCABULARY:
        if index < len(tokens) and tokens[index] != "-" and not vocabulary.fullmatch(tokens[index]):
            return f"{field.aws_name} {tokens[index][:40]!r}"
    return None


def fit_tail(tokens: list[str]) -> list[str]:
    """The tokens with every field after the User-Agent holding what it can hold.

    A Host Id with a space in it (seen in real 2019 logs) splits into two tokens and would
    shift the six fields after it; when rejoining it is the only reading that fits, the line
    is read that way. A line with no fitting reading, or more than one, is rejected."""
    misfit = _misfit(tokens)
    if misfit is None:
        return tokens
    readings = []
    for joins in range(1, _MAX_HOST_ID_JOINS + 1):
        if _HOST_ID + joins >= len(tokens) - 1:
            break
        joined = " ".join(tokens[_HOST_ID : _HOST_ID + joins + 1])
        reading = [*tokens[:_HOST_ID], joined, *tokens[_HOST_ID + joins + 1 :]]
        if _misfit(reading) is None:
            readings.append(reading)
    if len(readings) == 1:
        return readings[0]
    raise LineRejected(f"the fields after the User-Agent do not fit their formats: {misfit}")


def tokenize(text: str) -> tuple[list[str], bool]:
    """Split a line into its wire tokens (quoted ones keep their quotes).

    Returns the tokens and whether the split was ambiguous.
    """
    cur = _Cursor(text)
    tokens = [cur.bare("Bucket Owner"), cur.bare("Bucket"), _scan_time(cur), cur.bare("Remote IP")]
    tokens += _scan_head(cur)
    uri, middle = _scan_request_uri(cur)
    tokens += [uri, *middle]
    referer, agent, ambiguous = _scan_referer_and_agent(cur)
    tokens += [referer, agent, *_scan_tail(cur)]
    return tokens, ambiguous


def parse_time(token: str) -> datetime | None:
    if token == "-":
        return None
    match = _TIME.fullmatch(token)
    if match is None or match.group(2) not in MONTHS:
        raise LineRejected(f"the Time field {token[:40]!r} is not [dd/Mon/yyyy:HH:MM:SS +hhmm]")
    day, month, year, hour, minute, second, sign, oh, om = match.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    try:
        local = datetime(
            int(year),
            MONTHS[month],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=timezone(offset),
        )
    except ValueError as err:
        raise LineRejected(f"the Time field {token!r} is not a real date ({err})") from None
    return local.astimezone(UTC)


def _convert(field: Field, token: str) -> Any:
    if field.kind == "time":
        return parse_time(token)
    if field.quoted:
        if token in ("-", '"-"'):
            return None
        if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
            return token[1:-1]
        raise LineRejected(f"the {field.aws_name} field must be quoted or '-'")
    if token == "-":
        return 0 if field.dash_is_zero else None
    if field.kind in _INT_LIMITS:
        if not _DIGITS.fullmatch(token):
            raise LineRejected(f"the {field.aws_name} field {token[:20]!r} is not a number")
        value = int(token)
        if value > _INT_LIMITS[field.kind]:
            raise LineRejected(f"the {field.aws_name} field {token[:20]!r} is out of range")
        return value
    return token


def parse_line(raw: bytes) -> dict[str, Any]:
    """Parse one line (without its line terminator) into an `access_log` record.

    Raises `LineRejected` when the line is not a log record. `raw_line` is set whenever the
    fields alone would not reproduce `raw` byte for byte.
    """
    line = raw
    if len(line) > limits.MAX_LINE or limits.is_stand_in(line):
        raise LineRejected(limits.rejection(line)[0])
    try:
        text, lossy = line.decode("utf-8"), False
    except UnicodeDecodeError:
        text, lossy = line.decode("utf-8", "replace"), True
    if not text.strip(" "):
        raise LineRejected("the line is empty")
    tokens, ambiguous = tokenize(text)
    tokens = fit_tail(tokens)
    if len(tokens) < MIN_FIELDS:
        raise LineRejected(f"the line has {len(tokens)} fields; at least {MIN_FIELDS} expected")
    record: dict[str, Any] = {
        f.name: _convert(f, tok) for f, tok in zip(FIELDS, tokens, strict=False)
    }
    for f in FIELDS[len(tokens) :]:
        record[f.name] = None
    record["key_raw"] = record["key"]
    record["key"] = decode_key(record["key_raw"], record["operation"])
    record["extra_fields"] = " ".join(tokens[KNOWN_FIELDS:]) or None
    record["field_count"] = len(tokens)
    exact = not lossy and not ambiguous and render_line(record) == text
    record["raw_line"] = None if exact else line
    time = record["time"]
    record["date"] = time.date() if time is not None else None
    record["delivery"] = "text"
    record.update(dict.fromkeys(JSON_ONLY))
    return record
