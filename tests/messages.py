"""Command messages for tests that judge them without a broker: a valid filing and a message shape."""

from __future__ import annotations

from typing import Any, NamedTuple

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
