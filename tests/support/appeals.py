"""Appeals built by the domain code from commands, for tests of the state machine and of what reads its events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from streams.domain.appeal import decide, evolve
from streams.domain.chain import seal
from streams.domain.commands import parse_command

ALMATY = timezone(timedelta(hours=6))
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
FILED_AT = datetime(2021, 3, 1, 9, 15, tzinfo=ALMATY)   # a Monday


def command(kind: str, n: int, at: datetime, **fields) -> dict:
    return {"type": kind, "command_id": f"c{n}", "appeal_id": "A-1", "at": at.isoformat(), **fields}


FIELDS = {
    "file": dict(region="75", body="almaty-akimat", category="roads", channel="eotinish",
                 citizen={"iin": "900101301233", "name": "Aida"}, text="pothole"),
    "route": dict(to_body="almaty-roads", reason="competence"),
    "extend": dict(until="2021-04-20", reason="inspection"),
    "answer": dict(outcome="resolved", text="fixed"),
    "escalate": dict(reason="dissatisfied", by="citizen"),
    "rate": dict(satisfied=False, score=2),
    "withdraw": dict(reason="solved"),
    "reopen": dict(reason="not fixed"),
    "overdue": dict(),
}
COMMANDS = list(FIELDS)

# How each state is reached from nothing; the commands run at day offsets from filing.
PATHS = {
    "none": [],
    "open": ["file"],
    "escalated": ["file", "escalate"],
    "answered": ["file", "answer"],
    "answered_rated": ["file", "answer", "rate"],
    "withdrawn": ["file", "withdraw"],
    "overdue_open": ["file", "overdue"],
}


def build(path: list[str]):
    state, events = None, []
    for n, kind in enumerate(path):
        at = FILED_AT + timedelta(days=40 if kind == "overdue" else n)
        event = seal(decide(state, parse_command(command(kind, n, at, **FIELDS[kind])), NOW))
        events.append(event)
        state = evolve(state, event)
    return state, events
