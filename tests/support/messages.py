"""Command messages for tests that judge them without a broker: a valid filing and a message shape."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

from streams.auth.assertions import sign_assertion
from streams.auth.keys import KeyRing
from streams.domain.bounds import MAX_COMMAND_BYTES
from streams.domain.principals import Principal

# The API's assertion key in tests that judge without a worker, and the principal commands come from.
RING = KeyRing(Path("/nonexistent/assertions.json"), "test-kid", {"test-kid": Ed25519PrivateKey.generate()})
IMPORTER = Principal("test-importer", "importer")

FILING = {"type": "file", "command_id": "c-1", "appeal_id": "a-1", "at": "2003-01-13T09:15:00+05:00", "region": "75",
          "body": "almaty-akimat", "category": "roads", "channel": "eotinish",
          "citizen": {"iin": "900101301233", "name": "Aida", "contact": "+7 700 000 0000"}, "text": "Жол жөндеу керек"}


class Message(NamedTuple):
    """What the ledger reads of a Kafka record."""
    key: Any
    value: Any
    headers: Any = ()
    topic: str = "appeals.commands"
    partition: int = 0
    offset: int = 0
    timestamp: float | None = None   # when it was written, in seconds (Faust's form); None: no timestamp
    timestamp_type: int = 1          # the broker's append time, as appeals.commands keeps it


def command_message(key: Any, value: Any, headers: Any = (), offset: int = 0) -> Message:
    """A command record on the partition Kafka's default partitioner gives its key (0 for no key), unsigned."""
    from streams.agents.judge import partition_of
    return Message(key, value, headers, "appeals.commands", partition_of(key) if isinstance(key, bytes) else 0, offset,
                   time.time())


def assertion(value: Any, principal: Principal = IMPORTER, ring: KeyRing = RING,
              at: datetime | None = None) -> tuple[str, bytes]:
    """The `tyndau-auth` header the API would write for `value` sent by `principal`."""
    raw = value if isinstance(value, bytes) else b""
    try:   # the command id as the ledger reads it: none from what it cannot parse or will not read
        obj = orjson.loads(raw) if len(raw) <= MAX_COMMAND_BYTES else None
    except orjson.JSONDecodeError:
        obj = None
    command_id = obj.get("command_id") if isinstance(obj, dict) else None
    command_id = command_id if isinstance(command_id, str) else None
    return ("tyndau-auth", sign_assertion(ring, principal, raw, command_id, at or datetime.now(timezone.utc)))


def signed_message(key: Any, value: Any, headers: Any = (), offset: int = 0, principal: Principal = IMPORTER) -> Message:
    """command_message() with the assertion of `principal` added to its headers."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
    return command_message(key, value, [*pairs, assertion(value, principal)], offset)


# Hostile input, for property-based tests: any JSON value, and a valid command with one field replaced.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)
nasty_values = json_values | st.sampled_from(["\ud800", "x" * 20_000, "9999-01-01T00:00:00+05:00", "", " ", "a\x00b"])
FIELD_PATHS = [("type",), ("command_id",), ("appeal_id",), ("at",), ("region",), ("body",), ("category",), ("channel",),
               ("citizen",), ("citizen", "iin"), ("citizen", "name"), ("citizen", "contact"), ("text",), ("actor",)]


def mutated(command: dict, path: tuple[str, ...], value: Any) -> bytes:
    """`command` with the field at `path` set to `value`, as JSON bytes; a lone surrogate is written
    as the escape a hostile client would send ("\\ud800")."""
    copy = json.loads(json.dumps(command))
    target = copy
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    return json.dumps(copy).encode()
