"""The event types: each one's name, the command that appends it, its Avro payload record and
which of its payload fields hold personal data. The one list; everything else derives from it."""

from __future__ import annotations

from typing import NamedTuple


class EventType(NamedTuple):
    name: str                    # past tense, the event's `event_type`
    command: str                 # the imperative command that appends it
    record: str                  # its payload's Avro record, schemas/kz.tyndau.<record>.avsc
    personal: tuple[str, ...]    # payload fields with personal data or free text: never projected or published


EVENTS: tuple[EventType, ...] = (
    EventType("filed", "file", "AppealFiled", ("citizen",)),
    EventType("routed", "route", "AppealRouted", ("reason",)),
    EventType("extended", "extend", "DeadlineExtended", ("reason",)),
    EventType("answered", "answer", "AppealAnswered", ("text",)),
    EventType("escalated", "escalate", "AppealEscalated", ()),
    EventType("rated", "rate", "AppealRated", ("comment",)),
    EventType("withdrawn", "withdraw", "AppealWithdrawn", ("reason",)),
    EventType("reopened", "reopen", "AppealReopened", ("reason",)),
    EventType("overdue", "overdue", "AppealOverdue", ()),
    EventType("notified", "notify", "CitizenNotified", ("reference",)),   # a notice's number may name the citizen
)

EVENT_TYPES: tuple[str, ...] = tuple(e.name for e in EVENTS)
BY_NAME: dict[str, EventType] = {e.name: e for e in EVENTS}
EVENT_OF_COMMAND: dict[str, str] = {e.command: e.name for e in EVENTS}
