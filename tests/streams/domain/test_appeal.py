"""The appeal state machine, exhaustively: every state × every command; and the deadline rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from streams.domain.appeal import decide, evolve, fold
from streams.domain.chain import GENESIS_HASH, chain_problems, seal
from streams.domain.commands import CommandError, parse_command
from tests.support.appeals import ALMATY, COMMANDS, FIELDS, FILED_AT, NOW, PATHS, build, command

# The legal commands of each state, written out by hand from the README's lifecycle table.
LEGAL = {
    "none": {"file"},
    "open": {"route", "extend", "answer", "escalate", "withdraw", "overdue"},
    "escalated": {"route", "extend", "answer", "withdraw", "overdue"},
    "answered": {"escalate", "rate", "reopen"},
    "answered_rated": {"escalate", "reopen"},
    "withdrawn": {"reopen"},
    "overdue_open": {"route", "extend", "answer", "escalate", "withdraw"},
}


@pytest.mark.parametrize("state_name", list(PATHS))
@pytest.mark.parametrize("kind", COMMANDS)
def test_every_state_and_command(state_name, kind):
    state, _ = build(PATHS[state_name])
    # Day 41 and "until" within two months keep deadline rules out of the way of the state check,
    # except overdue after overdue, which the deadline rule refuses (as it must).
    at = FILED_AT + timedelta(days=41)
    fields = dict(FIELDS[kind], until="2021-04-28") if kind == "extend" else FIELDS[kind]
    cmd = parse_command(command(kind, 99, at, **fields))
    if kind in LEGAL[state_name]:
        event = decide(state, cmd, NOW)
        assert event["sequence"] == (state.sequence + 1 if state else 1)
        assert event["prev_hash"] == (state.last_hash if state else GENESIS_HASH)
        evolve(state, seal(event))
    else:
        with pytest.raises(CommandError) as error:
            decide(state, cmd, NOW)
        expected = {"none": "unknown_appeal"}.get(state_name, "appeal_exists" if kind == "file" else None)
        if state_name == "overdue_open" and kind == "overdue":
            expected = "deadline_rule"
        assert error.value.reason == (expected or "invalid_transition")


def test_due_date_is_15_working_days_after_receipt_skipping_nauryz():
    # DOMAIN.md, APC Art. 76: 15 working days from receipt. March 2021 in Kazakhstan: 8 March
    # (Monday) and Nauryz 22-24 March are days off, so receipt on Monday 1 March is due Friday 26 March.
    state, events = build(["file"])
    assert events[0]["payload"]["received_on"] == date(2021, 3, 1)
    assert state.due_on == date(2021, 3, 26)
    # APC Art. 65: forwarding within 3 working days: 2, 3, 4 March.
    assert state.forward_by == date(2021, 3, 4)


def test_answer_after_the_due_date_is_late():
    state, _ = build(["file"])
    late = decide(state, parse_command(command("answer", 5, datetime(2021, 3, 29, 10, tzinfo=ALMATY), **FIELDS["answer"])), NOW)
    assert late["payload"]["on_time"] is False
    timely = decide(state, parse_command(command("answer", 5, datetime(2021, 3, 26, 17, tzinfo=ALMATY), **FIELDS["answer"])), NOW)
    assert timely["payload"]["on_time"] is True


def test_extension_is_limited_to_two_months_from_receipt():
    state, _ = build(["file"])
    at = FILED_AT + timedelta(days=5)
    ok = decide(state, parse_command(command("extend", 5, at, until="2021-05-01")), NOW)
    assert ok["payload"]["due_on"] == date(2021, 5, 1)
    for until, words in (("2021-05-02", "two months"), ("2021-03-20", "later than")):
        with pytest.raises(CommandError, match=words) as error:
            decide(state, parse_command(command("extend", 5, at, until=until)), NOW)
        assert error.value.reason == "deadline_rule"


def test_late_forwarding_is_recorded():
    state, _ = build(["file"])
    on_time = decide(state, parse_command(command("route", 5, datetime(2021, 3, 4, 18, tzinfo=ALMATY), to_body="x")), NOW)
    late = decide(state, parse_command(command("route", 5, datetime(2021, 3, 5, 9, tzinfo=ALMATY), to_body="x")), NOW)
    assert on_time["payload"]["within_deadline"] is True and late["payload"]["within_deadline"] is False
    assert late["body"] == "x"


def test_overdue_only_after_the_due_date_and_once_per_deadline():
    state, _ = build(["file"])
    with pytest.raises(CommandError) as error:
        decide(state, parse_command(command("overdue", 5, datetime(2021, 3, 26, 23, tzinfo=ALMATY))), NOW)
    assert error.value.reason == "deadline_rule"
    overdue = seal(decide(state, parse_command(command("overdue", 5, datetime(2021, 3, 29, 9, tzinfo=ALMATY))), NOW))
    state = evolve(state, overdue)
    extended = seal(decide(state, parse_command(command("extend", 6, datetime(2021, 3, 29, 10, tzinfo=ALMATY), until="2021-04-15")), NOW))
    state = evolve(state, extended)
    again = decide(state, parse_command(command("overdue", 7, datetime(2021, 4, 16, 9, tzinfo=ALMATY))), NOW)
    assert again["payload"]["due_on"] == date(2021, 4, 15)


def test_duplicate_command_id_and_time_before_filing():
    state, _ = build(["file", "answer"])
    with pytest.raises(CommandError) as error:
        decide(state, parse_command(command("answer", 1, FILED_AT + timedelta(days=3), **FIELDS["answer"])), NOW)
    assert error.value.reason == "duplicate_command"
    with pytest.raises(CommandError) as error:
        decide(state, parse_command(command("rate", 7, FILED_AT - timedelta(hours=1), satisfied=True)), NOW)
    assert error.value.reason == "before_filing"


def test_reopen_starts_a_new_term_and_allows_a_new_rating():
    state, _ = build(["file", "answer", "rate"])
    reopened = seal(decide(state, parse_command(command("reopen", 9, datetime(2021, 4, 1, 9, tzinfo=ALMATY))), NOW))
    state = evolve(state, reopened)
    assert state.status == "open" and state.due_on == date(2021, 4, 22) and not state.rated


def test_fold_as_of_and_chain():
    _, events = build(["file", "route", "answer", "rate"])
    assert chain_problems(events) == []
    halfway = fold(events, as_of=FILED_AT + timedelta(days=1, hours=1))
    assert halfway.status == "open" and halfway.body == "almaty-roads" and halfway.sequence == 2
    assert fold(events).status == "answered" and fold(events).satisfied is False
    forged = [dict(e) for e in events]
    forged[2]["payload"] = dict(forged[2]["payload"], outcome="refused")
    assert chain_problems(forged) == [(3, "hash does not match the event's content")]
    assert chain_problems(events[:1] + events[2:])[0] == (3, "sequence 3 where 2 was expected")


def test_evolve_ignores_an_event_already_applied():
    state, events = build(["file", "answer"])
    assert evolve(state, events[0]) is state and evolve(state, events[1]) is state


def test_canonical_bytes_match_the_standard_library_form_on_simulated_lifecycles():
    from streams.devtools.simulate import commands, default_propensities
    from streams.domain.chain import canonical_bytes, canonical_bytes_reference

    states, checked, unusual = {}, 0, 0
    for raw in commands(300, 4, date(2031, 1, 1), 60, default_propensities()):
        raw = dict(raw, reason="Ақтөбе: жол \"жөндеу\"\n\t\\ 😀") if raw["type"] in ("route", "withdraw", "reopen") else raw
        try:
            command = parse_command(raw)
            event = seal(decide(states.get(command.appeal_id), command, NOW))
        except CommandError:
            continue
        states[command.appeal_id] = evolve(states.get(command.appeal_id), event)
        assert canonical_bytes(event) == canonical_bytes_reference(event)
        checked += 1
        unusual += "😀" in event["payload"].get("reason", "")
    assert checked > 500 and unusual > 20


def test_canonical_times_are_utc_with_microseconds_and_z():
    from streams.domain.chain import _json_default

    kz = timezone(timedelta(hours=5))
    for moment in (datetime(2031, 1, 1, 0, 0, tzinfo=kz), datetime(2031, 6, 30, 23, 59, 59, 999999, tzinfo=timezone.utc),
                   datetime(2024, 2, 29, 4, 5, 6, 7, tzinfo=kz)):
        assert _json_default(moment) == moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert _json_default(datetime(2031, 1, 1, 0, 0, tzinfo=kz)) == "2030-12-31T19:00:00.000000Z"


def test_event_ids_name_one_appeal_and_command_each():
    import uuid

    from streams.domain.appeal import EVENT_ID_NAMESPACE, event_id_for
    assert event_id_for("a", "c") == str(uuid.uuid5(EVENT_ID_NAMESPACE, "a/c")), "plain ids keep the ids already written"
    assert event_id_for("a/b", "c") != event_id_for("a", "b/c")


def test_an_appeal_holds_at_most_ten_thousand_events():
    import dataclasses

    state, _ = build(["file"])
    full = dataclasses.replace(state, sequence=10_000)
    with pytest.raises(CommandError) as error:
        decide(full, parse_command(command("answer", 2, FILED_AT + timedelta(days=3), **FIELDS["answer"])), NOW)
    assert error.value.reason == "too_many_events"
