"""The deadline watcher's decisions: overdue once per deadline, escalation by policy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from streams.domain.appeal import decide, evolve
from streams.domain.chain import seal
from streams.domain.commands import parse_command
from streams.domain.deadlines import deadline_commands
from tests.support.appeals import NOW, build

KZ = timezone(timedelta(hours=5))


def apply(state, command):
    return evolve(state, seal(decide(state, parse_command(command), NOW)))


def test_nothing_before_or_on_the_due_date():
    """The due day is the region's legal local day (DOMAIN.md, local time): Almaty was on UTC+6 in 2021, so
    22:59 at UTC+5 is still 26 March there, and 23:00 at UTC+5 is already 27 March."""
    state, _ = build(["file"])                      # due 2021-03-26
    assert deadline_commands(state, datetime(2021, 3, 26, 22, 59, tzinfo=KZ)) == []
    assert deadline_commands(state, datetime(2021, 3, 26, 23, 0, tzinfo=KZ))[0]["type"] == "overdue"


def test_overdue_once_then_escalation_after_n_working_days():
    state, _ = build(["file"])
    first = datetime(2021, 3, 29, 9, tzinfo=KZ)
    [overdue] = deadline_commands(state, first, escalate_after_working_days=3)
    assert overdue["type"] == "overdue" and overdue["command_id"] == "overdue:A-1:2021-03-26"
    assert deadline_commands(state, first + timedelta(minutes=1), 3)[0]["command_id"] == overdue["command_id"]
    state = apply(state, overdue)
    # 29, 30, 31 March are the 1st-3rd working days after the due date.
    assert deadline_commands(state, datetime(2021, 3, 30, 9, tzinfo=KZ), 3) == []
    [escalate] = deadline_commands(state, datetime(2021, 3, 31, 9, tzinfo=KZ), 3)
    assert escalate["type"] == "escalate" and escalate["reason"] == "overdue" and escalate["by"] == "system"
    state = apply(state, escalate)
    # The escalation starts the centre's own term: 15 working days from its receipt on 31 March (APC Art. 76),
    # which is 21 April (Nauryz, 22-24 March, is behind it). Until then nothing; after it, the centre's
    # term is reported overdue, and an escalated appeal is never escalated again by the watcher.
    assert state.stage == "centre" and state.due_on == state.centre_due_on == datetime(2021, 4, 21).date()
    assert deadline_commands(state, datetime(2021, 4, 21, 18, tzinfo=KZ), 3) == []
    [centre_overdue] = deadline_commands(state, datetime(2021, 4, 30, 9, tzinfo=KZ), 3)
    assert centre_overdue["type"] == "overdue" and centre_overdue["command_id"] == "overdue:A-1:2021-04-21"
    state = apply(state, centre_overdue)
    assert deadline_commands(state, datetime(2021, 5, 30, 9, tzinfo=KZ), 3) == []


def test_answered_and_withdrawn_appeals_are_never_overdue():
    for path in (["file", "answer"], ["file", "withdraw"]):
        state, _ = build(path)
        assert deadline_commands(state, datetime(2022, 1, 10, 9, tzinfo=KZ), 3) == []


def test_an_extension_gives_a_new_deadline_to_watch():
    state, _ = build(["file"])
    state = apply(state, {"type": "extend", "command_id": "x", "appeal_id": "A-1", "at": "2021-03-25T10:00:00+05:00",
                          "until": "2021-04-20", "reason": "an inspection is needed"})
    assert deadline_commands(state, datetime(2021, 3, 29, 9, tzinfo=KZ)) == []
    assert deadline_commands(state, datetime(2021, 4, 20, 18, tzinfo=KZ)) == []
    assert deadline_commands(state, datetime(2021, 4, 21, 9, tzinfo=KZ))[0]["command_id"] == "overdue:A-1:2021-04-20"
