"""Command messages for tests that judge them without a broker: a valid filing and a message shape."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from hypothesis import strategies as st

FILING = {"type": "file", "command_id": "c-1", "appeal_id": "a-1", "at": "2031-01-13T09:15:00+05:00", "region": "75",
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


def command_message(key: Any, value: Any, headers: Any = (), offset: int = 0) -> Message:
    """A command record on the partition Kafka's default partitioner gives its key (0 for no key)."""
    from streams.agents.judge import partition_of
    return Message(key, value, headers, "appeals.commands", partition_of(key) if isinstance(key, bytes) else 0, offset)


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
