"""Appeals built by the domain code from commands, for tests of the state machine and of what reads its events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from streams.domain.appeal import decide, evolve
from streams.domain.chain import seal
from streams.domain.commands import CommandError, parse_command

ALMATY = timezone(timedelta(hours=6))
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
FILED_AT = datetime(2021, 3, 1, 9, 15, tzinfo=ALMATY)   # a Monday


def command(kind: str, n: int, at: datetime, /, **fields) -> dict:
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
    "notify": dict(kind="extension", channel="sms"),
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
    """The state and events of the commands of `path`, one day apart (an overdue 40 days in), each
    act at least a minute after the latest one: acts are appended in the order they happen."""
    state, events = None, []
    for n, kind in enumerate(path):
        at = FILED_AT + timedelta(days=40 if kind == "overdue" else n)
        if state is not None and kind != "overdue" and at <= state.last_at:
            at = state.last_at + timedelta(minutes=1)
        event = seal(decide(state, parse_command(command(kind, n, at, **FIELDS[kind])), NOW))
        events.append(event)
        state = evolve(state, event)
    return state, events


UTC = timezone.utc
CITIZEN = {"iin": "900101301233", "name": "Aida"}


class Appeal:
    """One appeal driven through decide/evolve as the ledger does, with the ledger's clock as a parameter."""

    def __init__(self, region: str = "75", appeal_id: str = "A-1"):
        self.region, self.appeal_id, self.state, self.n = region, appeal_id, None, 0

    def command(self, what: str, at: datetime, /, **fields) -> dict:
        self.n += 1
        return {"type": what, "command_id": f"c{self.n}", "appeal_id": self.appeal_id, "at": at.isoformat(), **fields}

    def event(self, what: str, at: datetime, clock: datetime | None = None, imported_by: str | None = None,
              **fields):
        if what == "file":
            fields = dict(dict(region=self.region, body="akimat", category="roads", channel="eotinish",
                               citizen=CITIZEN, text="pothole"), **fields)
        clock = clock or max(at, datetime(2020, 1, 1, tzinfo=UTC))
        event = seal(decide(self.state, parse_command(self.command(what, at, **fields)), clock,
                            imported_by=imported_by, clock=clock))
        self.state = evolve(self.state, event)
        return event

    def refused(self, what: str, at: datetime, clock: datetime | None = None, imported_by: str | None = None,
                **fields) -> CommandError:
        with pytest.raises(CommandError) as error:
            self.event(what, at, clock, imported_by, **fields)
        return error.value
