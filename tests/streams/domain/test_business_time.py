"""Business time (streams/domain/business_time.py): `at` cannot be chosen after the fact. A live act is never
dated before the appeal's latest event, nor before the moment its term passed, nor past the ledger's clock
plus 5 minutes; a live filing at most 7 days back; an import keeps its past times, in order per appeal."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from streams.domain.business_time import overdue_moment
from streams.domain.deadlines import deadline_commands
from tests.support.appeals import Appeal

UTC = timezone.utc
KZ5, KZ6 = timezone(timedelta(hours=5)), timezone(timedelta(hours=6))


def test_an_answer_dated_back_before_the_overdue_event_is_refused():
    """The issue's example: filed 2025-01-06, due 01-28 (APC Art. 76, 15 working days; 7 January is
    Orthodox Christmas); the overdue event is dated the start of 29 January, local; an answer sent after
    it with at = 2025-01-20 is `backdated`, not counted on time."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))
    assert appeal.state.due_on == date(2025, 1, 28)
    noticed = datetime(2025, 1, 29, 0, 3, tzinfo=KZ5)
    overdue = appeal.event("overdue", noticed)
    assert overdue["occurred_at"] == datetime(2025, 1, 29, tzinfo=KZ5)
    error = appeal.refused("answer", datetime(2025, 1, 20, 12, tzinfo=KZ5), clock=noticed + timedelta(hours=2),
                           outcome="resolved", text="done")
    assert error.reason == "backdated" and "latest event" in error.detail


def test_a_live_act_cannot_be_dated_before_the_moment_the_appeal_became_overdue_even_unreported():
    """Without the watcher's event (it was down), a live answer dated inside the term after the term has passed
    is still `backdated`: the appeal became overdue at the start of 29 January whatever the watcher saw."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))
    error = appeal.refused("answer", datetime(2025, 1, 20, 12, tzinfo=KZ5), clock=datetime(2025, 2, 3, tzinfo=KZ5),
                           outcome="resolved", text="done")
    assert error.reason == "backdated" and "term (due 2025-01-28) ended" in error.detail
    # The same answer sent in time is on time.
    on_time = appeal.event("answer", datetime(2025, 1, 20, 12, tzinfo=KZ5), clock=datetime(2025, 1, 20, 12, 1, tzinfo=KZ5),
                           outcome="resolved", text="done")
    assert on_time["payload"]["on_time"] is True


def test_times_later_than_the_ledgers_clock_plus_five_minutes_are_refused():
    appeal = Appeal()
    clock = datetime(2025, 1, 6, 10, tzinfo=KZ5)
    assert appeal.refused("file", clock + timedelta(minutes=6), clock=clock).reason == "future"
    appeal.event("file", clock + timedelta(minutes=4), clock=clock)


def test_a_live_filing_may_be_dated_at_most_seven_days_back_and_an_import_any_time_in_order():
    clock = datetime(2025, 3, 10, 12, tzinfo=KZ5)
    live = Appeal()
    error = live.refused("file", clock - timedelta(days=7, minutes=1), clock=clock)
    assert error.reason == "backdated" and "--import" in error.detail
    live.event("file", clock - timedelta(days=6), clock=clock)

    imported = Appeal(appeal_id="H-1")
    imported.event("file", datetime(2021, 3, 1, 9, tzinfo=KZ6), clock=clock, imported_by="legacy")
    imported.event("answer", datetime(2021, 3, 10, 9, tzinfo=KZ6), clock=clock, imported_by="legacy",
                   outcome="resolved", text="done")
    assert imported.state.on_time is True and imported.state.imported_by == "legacy"
    # In order per appeal: an imported act before the latest one is refused too.
    assert imported.refused("rate", datetime(2021, 3, 9, tzinfo=KZ6), clock=clock, imported_by="legacy",
                            satisfied=True).reason == "backdated"


def test_the_watcher_leaves_an_imported_appeal_to_its_import_until_the_import_has_settled():
    """An import moving 2021 in must not race the deadline watcher: while its acts arrive the watcher sends nothing
    for it, so the history's own acts (its overdue events too) say what happened, and importing the same file on
    another day gives the same events. Once a day has passed since its latest imported act, an appeal still open
    is judged from today, like any other: overdue, dated by the law, and escalated by policy."""
    clock = datetime(2026, 12, 1, tzinfo=UTC)
    appeal = Appeal()
    appeal.event("file", datetime(2021, 3, 1, 9, tzinfo=KZ6), clock, "legacy")                     # due 26 March
    appeal.event("route", datetime(2021, 3, 30, 9, tzinfo=KZ6), clock, "legacy", to_body="roads", reason="competence")
    assert appeal.state.imported_at == clock
    assert deadline_commands(appeal.state, clock + timedelta(hours=23), escalate_after_working_days=1) == []
    settled = clock + timedelta(hours=25)
    [overdue] = deadline_commands(appeal.state, settled, escalate_after_working_days=1)
    event = appeal.event("overdue", datetime.fromisoformat(overdue["at"]), settled)
    assert event["occurred_at"] == datetime(2021, 3, 27, tzinfo=KZ6)
    [escalate] = deadline_commands(appeal.state, settled, escalate_after_working_days=1)
    assert (escalate["type"], escalate["by"]) == ("escalate", "system")
    # An import carries on in order from its own latest act: the overdue event was dated back, not forward.
    appeal.event("answer", datetime(2021, 4, 2, 9, tzinfo=KZ6), settled, "legacy", outcome="resolved", text="late")
    assert appeal.state.on_time is False

def test_overdue_is_dated_the_start_of_the_local_day_after_the_due_date():
    appeal = Appeal("23")                                                          # Atyrau: UTC+5 in 2021
    appeal.event("file", datetime(2021, 3, 1, 9, tzinfo=KZ5))                      # due 26 March
    assert overdue_moment(appeal.state) == datetime(2021, 3, 27, tzinfo=KZ5)
    refused = appeal.refused("overdue", datetime(2021, 3, 26, 23, 59, tzinfo=KZ5))
    assert refused.reason == "deadline_rule"
    event = appeal.event("overdue", datetime(2021, 3, 29, 8, tzinfo=KZ5))
    assert event["occurred_at"] == datetime(2021, 3, 27, tzinfo=KZ5)
    assert appeal.state.last_at == datetime(2021, 3, 27, tzinfo=KZ5)


def test_a_late_notice_or_forwarding_cannot_be_dated_back_into_its_term_once_it_has_passed():
    """APC Art. 76: the extension notice within 3 working days; Art. 65: the forwarding within 3 working days of
    receipt. Once such a term has passed, a live act it judges is not dated inside it; an import may (its history)."""
    appeal = Appeal()
    appeal.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5))        # forward by 10 January (7 January is a holiday)
    appeal.event("extend", datetime(2025, 1, 7, 10, tzinfo=KZ5), until="2025-02-20", reason="inspection")
    later = datetime(2025, 1, 20, 10, tzinfo=KZ5)                                   # the notice was due on 10 January
    notice = appeal.refused("notify", datetime(2025, 1, 7, 10, 1, tzinfo=KZ5), clock=later, kind="extension", channel="sms")
    assert notice.reason == "backdated" and "extension notice's term (by 2025-01-10)" in notice.detail
    route = appeal.refused("route", datetime(2025, 1, 8, 10, tzinfo=KZ5), clock=later, to_body="roads", reason="competence")
    assert route.reason == "backdated" and "forwarding term (by 2025-01-10" in route.detail
    late = appeal.event("notify", later, clock=later, kind="extension", channel="sms")
    assert late["payload"]["on_time"] is False and appeal.state.body_late_notices == 1
    imported = Appeal(appeal_id="H-1")
    imported.event("file", datetime(2025, 1, 6, 10, tzinfo=KZ5), later, "legacy")
    imported.event("route", datetime(2025, 1, 8, 10, tzinfo=KZ5), later, "legacy", to_body="roads", reason="competence")
    assert imported.state.routed == 1

