"""The appeal state machine, exhaustively: every state × every command; and the deadline rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from streams.domain.appeal import decide, evolve, fold
from streams.domain.chain import GENESIS_HASH, chain_problems, seal
from streams.domain.commands import CommandError, parse_command
from streams.domain.deadlines import deadline_commands
from streams.domain.state import CENTRE
from tests.support.appeals import ALMATY, COMMANDS, FIELDS, FILED_AT, NOW, PATHS, Appeal, build, command

UTC = timezone.utc
KZ5, KZ6 = timezone(timedelta(hours=5)), timezone(timedelta(hours=6))

# The legal commands of each state, written out by hand from the README's lifecycle table.
LEGAL = {
    "none": {"file"},
    "open": {"route", "extend", "answer", "escalate", "withdraw", "overdue"},
    "escalated": {"route", "extend", "answer", "withdraw", "overdue"},
    "answered": {"escalate", "rate", "reopen"},
    "answered_rated": {"escalate", "reopen"},
    "withdrawn": {"reopen"},
    "overdue_open": {"route", "answer", "escalate", "withdraw"},   # its term has passed: no extension (Art. 76)
}


@pytest.mark.parametrize("state_name", list(PATHS))
@pytest.mark.parametrize("kind", COMMANDS)
def test_every_state_and_command(state_name, kind):
    state, _ = build(PATHS[state_name])
    # Day 41 and "until" within two months keep deadline rules out of the way of the state check,
    # except overdue after overdue, which the deadline rule refuses (as it must).
    at = FILED_AT + timedelta(days=41)
    fields = dict(FIELDS[kind], until="2021-04-28") if kind == "extend" else FIELDS[kind]
    if kind == "extend" and state_name != "overdue_open":
        at = FILED_AT + timedelta(days=3, hours=1)   # Art. 76: an extension only before the term has passed
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
        if state_name == "overdue_open" and kind in ("overdue", "extend"):
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
    ok = decide(state, parse_command(command("extend", 5, at, until="2021-05-01", reason="inspection")), NOW)
    assert ok["payload"]["due_on"] == date(2021, 5, 1)
    for until, words in (("2021-05-02", "two months"), ("2021-03-20", "later than")):
        with pytest.raises(CommandError, match=words) as error:
            decide(state, parse_command(command("extend", 5, at, until=until, reason="inspection")), NOW)
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
    assert overdue["occurred_at"] == datetime(2021, 3, 27, tzinfo=ALMATY)   # became overdue at the local day's start
    state = evolve(state, overdue)
    with pytest.raises(CommandError) as error:
        decide(state, parse_command(command("overdue", 7, datetime(2021, 4, 16, 9, tzinfo=ALMATY))), NOW)
    assert error.value.reason == "deadline_rule" and "already reported" in error.value.detail
    reopened_state, _ = build(["file", "answer", "reopen"])             # a new term: a new deadline to report
    due = reopened_state.due_on
    again = decide(reopened_state, parse_command(command("overdue", 7, datetime(due.year, due.month, due.day, tzinfo=ALMATY)
                                                         + timedelta(days=2))), NOW)
    assert again["payload"]["due_on"] == due


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


# === The Code's rules with concrete dates (APC Art. 65, 76; DOMAIN.md) =====================================

# --- the region's legal local day ------------------------------------------------------------

def test_receipt_day_is_the_regions_local_date_whatever_offset_the_sender_used():
    """DOMAIN.md, local time: 2024-03-04T19:30Z is 5 March in Kazakhstan (UTC+5 since 1 March 2024), so the
    15 working days (APC Art. 76) count from 5 March; 2024-06-03T00:30+06:00 is Sunday 2 June locally."""
    march = Appeal()
    march.event("file", datetime(2024, 3, 4, 19, 30, tzinfo=UTC))
    assert march.state.received_on == date(2024, 3, 5)
    june = Appeal(appeal_id="A-2")
    june.event("file", datetime(2024, 6, 3, 0, 30, tzinfo=KZ6))
    assert june.state.received_on == date(2024, 6, 2)


def test_before_march_2024_the_western_regions_were_an_hour_behind():
    """DOMAIN.md: before 1 March 2024 Almaty was on UTC+6, Atyrau (23) on UTC+5: the same instant is two local days."""
    instant = datetime(2021, 3, 1, 18, 30, tzinfo=UTC)
    almaty, atyrau = Appeal("75"), Appeal("23", appeal_id="A-2")
    almaty.event("file", instant)
    atyrau.event("file", instant)
    assert (almaty.state.received_on, atyrau.state.received_on) == (date(2021, 3, 2), date(2021, 3, 1))


def test_an_answer_at_local_midnight_on_the_due_date_is_judged_by_the_local_day():
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))                    # due 28 January
    late = appeal.event("answer", datetime(2025, 1, 28, 19, 30, tzinfo=UTC), outcome="resolved", text="x")
    assert late["payload"]["answered_on"] == date(2025, 1, 29) and late["payload"]["on_time"] is False


# --- escalation: the centre's own term and figures ------------------------------------------

def test_the_centres_handling_does_not_overwrite_the_bodys_record():
    """The body's first answer, its timeliness and the rating of it stay the body's; the escalation starts the
    centre's own term of 15 working days from its receipt (APC Art. 76), so escalating an answered appeal after
    its due date makes nothing overdue."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))                     # due 28 January
    appeal.event("answer", datetime(2025, 1, 20, 10, tzinfo=KZ5), outcome="explained", text="x")
    appeal.event("rate", datetime(2025, 1, 21, 10, tzinfo=KZ5), satisfied=False, score=1)
    appeal.event("escalate", datetime(2025, 2, 10, 10, tzinfo=KZ5), reason="dissatisfied", by="citizen")
    state = appeal.state
    assert state.stage == CENTRE and state.centre_received_on == date(2025, 2, 10)
    assert state.due_on == state.centre_due_on == date(2025, 3, 3)                  # 15 working days from 10 February
    assert deadline_commands(state, datetime(2025, 2, 12, tzinfo=KZ5)) == []       # not overdue at once
    appeal.event("answer", datetime(2025, 3, 5, 10, tzinfo=KZ5), outcome="resolved", text="y")   # the centre is late
    appeal.event("rate", datetime(2025, 3, 6, 10, tzinfo=KZ5), satisfied=True, score=5)
    state = appeal.state
    assert (state.body_answered_on, state.body_on_time, state.body_satisfied) == (date(2025, 1, 20), True, False)
    assert (state.centre_answered_on, state.centre_on_time, state.centre_satisfied) == (date(2025, 3, 5), False, True)
    assert state.escalated_by == "citizen"


def test_the_centre_sends_an_escalated_appeal_back_to_a_body_with_a_new_term():
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))
    appeal.event("escalate", datetime(2025, 1, 10, 10, tzinfo=KZ5), reason="citizen_request", by="citizen")
    routed = appeal.event("route", datetime(2025, 1, 13, 10, tzinfo=KZ5), to_body="district", reason="competence")
    state = appeal.state
    assert routed["payload"]["due_on"] == date(2025, 2, 3) == state.due_on == state.centre_due_on
    assert state.status == "open" and state.stage == CENTRE and state.body == "district"
    # APC Art. 65 for the centre too: its forwarding is judged by 3 working days from its own receipt (10 January),
    # and the citizen is told on the day; the body stage's figures stay with the body that held it.
    assert routed["payload"]["within_deadline"] is True and routed["payload"]["notice_due_on"] == date(2025, 1, 13)
    assert state.stage_body == "akimat"
    appeal.event("answer", datetime(2025, 1, 30, 10, tzinfo=KZ5), outcome="resolved", text="z")
    assert appeal.state.centre_on_time is True and appeal.state.body_answered_on is None


# --- extensions (Art. 76) and forwarding (Art. 65) -------------------------------------------

def test_no_extension_after_the_term_has_passed_nor_to_a_past_day_nor_without_a_reason():
    """APC Art. 76: the head extends by a reasoned decision, before the term ends, to a day still to come."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))                     # due 28 January
    late = appeal.refused("extend", datetime(2025, 1, 29, 9, tzinfo=KZ5), until="2025-02-20", reason="inspection")
    assert late.reason == "deadline_rule" and "passed" in late.detail
    past = appeal.refused("extend", datetime(2025, 1, 20, 9, tzinfo=KZ5), until="2025-01-19", reason="inspection")
    assert past.reason == "deadline_rule"
    with pytest.raises(CommandError) as error:
        parse_command({"type": "extend", "command_id": "x", "appeal_id": "A-1", "at": "2025-01-20T09:00:00+05:00",
                       "until": "2025-02-20"})
    assert error.value.reason == "missing_field" and "reason" in error.value.detail


def test_extensions_after_a_reopening_are_capped_from_the_reopenings_receipt():
    """APC Art. 76: at most two months in total, counted from the receipt of the term being extended."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))
    appeal.event("answer", datetime(2025, 1, 20, 10, tzinfo=KZ5), outcome="explained", text="x")
    appeal.event("reopen", datetime(2025, 4, 1, 10, tzinfo=KZ5), reason="not fixed")
    extended = appeal.event("extend", datetime(2025, 4, 2, 10, tzinfo=KZ5), until="2025-06-01", reason="works")
    assert extended["payload"]["due_on"] == date(2025, 6, 1)                       # two months from 1 April
    appeal2 = Appeal(appeal_id="A-2")
    appeal2.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))
    appeal2.event("answer", datetime(2025, 1, 20, 10, tzinfo=KZ5), outcome="explained", text="x")
    appeal2.event("reopen", datetime(2025, 4, 1, 10, tzinfo=KZ5), reason="not fixed")
    too_far = appeal2.refused("extend", datetime(2025, 4, 2, 10, tzinfo=KZ5), until="2025-06-02", reason="works")
    assert too_far.reason == "deadline_rule" and "two months" in too_far.detail


def test_each_forwarding_has_its_own_three_working_day_date():
    """APC Art. 65: each body forwards within 3 working days of its own receipt, not the first body's."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 13, 10, tzinfo=KZ5))                    # Monday; forward by Thursday 16th
    first = appeal.event("route", datetime(2025, 1, 15, 10, tzinfo=KZ5), to_body="district", reason="competence")
    assert first["payload"]["within_deadline"] is True and appeal.state.forward_by == date(2025, 1, 20)
    second = appeal.event("route", datetime(2025, 1, 20, 10, tzinfo=KZ5), to_body="utilities", reason="competence")
    assert second["payload"]["within_deadline"] is True                            # late by the first body's date


def test_the_citizens_notices_are_recorded_and_late_ones_counted():
    """APC Art. 76: the citizen is notified of an extension within 3 working days; Art. 65: of a forwarding at the
    same time. A notice given after its day counts as late; a notice nobody owes is refused."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))
    extended = appeal.event("extend", datetime(2025, 1, 20, 10, tzinfo=KZ5), until="2025-02-20", reason="inspection")
    assert extended["payload"]["notice_due_on"] == date(2025, 1, 23)
    assert appeal.state.notices_owed == (("extension", date(2025, 1, 23), "body"),)
    assert appeal.refused("notify", datetime(2025, 1, 21, 10, tzinfo=KZ5), kind="forwarding", channel="sms").reason \
        == "invalid_transition"
    late = appeal.event("notify", datetime(2025, 1, 24, 10, tzinfo=KZ5), kind="extension", channel="post")
    assert late["payload"]["on_time"] is False and late["event_type"] == "notified"
    assert appeal.state.notices_owed == () and appeal.state.body_late_notices == 1
    appeal.event("route", datetime(2025, 1, 27, 10, tzinfo=KZ5), to_body="district", reason="competence")
    on_time = appeal.event("notify", datetime(2025, 1, 27, 11, tzinfo=KZ5), kind="forwarding", channel="portal")
    assert on_time["payload"]["on_time"] is True and appeal.state.body_late_notices == 1


def test_a_forwarding_within_the_body_stage_moves_the_body_of_record_until_the_first_answer():
    """The competent body answers for the body stage (APC Art. 65: it receives the appeal); once the body has
    answered, a later forwarding (after a reopening) moves none of its figures."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 13, 10, tzinfo=KZ5))
    appeal.event("route", datetime(2025, 1, 14, 10, tzinfo=KZ5), to_body="district", reason="competence")
    assert appeal.state.stage_body == "district"
    appeal.event("answer", datetime(2025, 1, 20, 10, tzinfo=KZ5), outcome="explained", text="x")
    appeal.event("reopen", datetime(2025, 1, 27, 10, tzinfo=KZ5), reason="not done")
    appeal.event("route", datetime(2025, 1, 28, 10, tzinfo=KZ5), to_body="utilities", reason="competence")
    assert (appeal.state.body, appeal.state.stage_body) == ("utilities", "district")

