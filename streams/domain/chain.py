"""The per-appeal hash chain: hash = SHA-256(prev_hash ‖ canonical bytes of the event).

Canonical bytes are the event without its `hash`, as JSON with sorted keys, no spaces,
UTF-8, times as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ` and dates as `YYYY-MM-DD`; any tool
in any language can recompute them from the decoded event.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime, timezone
from typing import Any

import orjson

GENESIS_HASH = "0" * 64  # prev_hash of an appeal's first event


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        # YYYY-MM-DDTHH:MM:SS.ffffffZ; isoformat writes it several times faster than strftime.
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


# orjson writes exactly the form above (sorted keys, no spaces, UTF-8 unescaped) several times
# faster than the json module; times and dates still go through _json_default.
_CANONICAL = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def canonical_bytes(event: dict[str, Any]) -> bytes:
    body = {k: v for k, v in event.items() if k != "hash"}
    return orjson.dumps(body, option=_CANONICAL, default=_json_default)


def canonical_bytes_reference(event: dict[str, Any]) -> bytes:
    """The canonical form written with the standard library: the definition canonical_bytes must match."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode()


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(event["prev_hash"].encode("ascii") + canonical_bytes(event)).hexdigest()


def seal(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its hash set."""
    event["hash"] = event_hash(event)
    return event


def chain_problems(events: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(sequence, what is wrong) for every break in one appeal's ordered events."""
    problems: list[tuple[int, str]] = []
    expected_seq, expected_prev = 1, GENESIS_HASH
    for event in events:
        seq = event["sequence"]
        if seq != expected_seq:
            problems.append((seq, f"sequence {seq} where {expected_seq} was expected"))
        if event["prev_hash"] != expected_prev:
            problems.append((seq, "prev_hash does not match the previous event's hash"))
        if event_hash(event) != event["hash"]:
            problems.append((seq, "hash does not match the event's content"))
        expected_seq, expected_prev = seq + 1, event["hash"]
    return problems
