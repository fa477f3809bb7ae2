"""Reading event files: one JSON document, or JSON Lines, or text lines, each with a position.

Every item read is either a value to convert or a `Bad` with the reason, so the event ingest is
as lossless as the access-log one: what cannot be read goes to `rejects`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    line: int  # 1-based line of a text line, or position of an element in a JSON document
    value: Any  # a parsed JSON value, or a str for a text line
    raw: bytes


@dataclass(frozen=True)
class Bad:
    line: int
    reason: str
    raw: bytes


def decode(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


def document(text: str) -> Any | None:
    """The whole text as one JSON value, or None when it is not one (JSON Lines, text)."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        return None


def items(data: bytes, doc: Any, wrapper: str) -> Iterator[Item | Bad]:
    """The events of a file: the `wrapper` list of a JSON object (`Records`, `events`), the
    elements of a JSON array, a single JSON object, or else its lines."""
    if isinstance(doc, dict) and isinstance(doc.get(wrapper), list):
        yield from elements(doc[wrapper])
    elif isinstance(doc, list):
        yield from elements(doc)
    elif isinstance(doc, dict):
        yield from elements([doc])
    else:
        yield from lines(data)


def elements(values: list[Any]) -> Iterator[Item]:
    for index, value in enumerate(values, 1):
        yield Item(index, value, json.dumps(value, ensure_ascii=False).encode())


def lines(data: bytes) -> Iterator[Item | Bad]:
    """Non-blank lines; a line starting with `{` is parsed as JSON."""
    for number, raw in enumerate(data.splitlines(), 1):
        text = decode(raw).strip()
        if not text:
            continue
        if text.startswith("{"):
            try:
                yield Item(number, json.loads(text), raw)
            except json.JSONDecodeError as err:
                yield Bad(number, f"invalid JSON: {err.msg} (column {err.colno})", raw)
        else:
            yield Item(number, text, raw)


def text_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value)


def int_or_none(value: Any) -> int | None:
    """Byte counts arrive as strings or numbers; anything else is NULL."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
