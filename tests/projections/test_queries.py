"""The figures of projections/queries (ranking, kpis, overdue) against the real engine (embedded chDB), as of a report day.

Each test writes the versions of its own appeals into `appeal_versions` (and their last state into
`appeals`) through projections/rows.py, in a region code of its own, and reads its figures through
projections/ranking.py. The states are built by hand (dataclasses.replace on a filing's state), so each
test says exactly which state the rule is about.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from projections import rows
from projections.ranking import FIELDS, GROUPINGS, kpis, local_today, overdue, ranking, trend
from streams.domain.appeal import AppealState
from streams.domain.calendar import answer_due, working_days_between

FILED = date(2101, 3, 1)             # a Tuesday; APC Art. 76: the body's answer is due 15 working days later
DUE = answer_due(FILED)              # 2101-03-22
AFTER = DUE + timedelta(days=30)     # every term of this module's appeals has passed


def region() -> str:
    """A region code of the test's own: its rows are the only ones its figures see."""
    return f"t{uuid.uuid4().hex[:8]}"


def filed(region_code: str, received_on: date = FILED, body: str = "akimat", category: str = "roads") -> AppealState:
    """The state a filing leaves: open, with the body, due 15 working days after receipt."""
    at = datetime.combine(received_on, datetime.min.time(), timezone.utc) + timedelta(hours=5)
    due = answer_due(received_on)
    return AppealState(appeal_id=f"{region_code}-{uuid.uuid4().hex[:8]}", sequence=1, last_hash="h1", status="open",
                       region=region_code, body=body, category=category, channel="eotinish", filed_at=at,
                       received_on=received_on, due_on=due, forward_by=received_on + timedelta(days=3), last_at=at,
                       last_on=received_on, term_started_on=received_on, body_due_on=due)


def then(state: AppealState, on: date, **changes) -> AppealState:
    """The next version: one more event, on the local day `on`."""
    at = datetime.combine(on, datetime.min.time(), timezone.utc) + timedelta(hours=6)
    return dataclasses.replace(state, sequence=state.sequence + 1, last_hash=f"h{state.sequence + 1}", last_at=at,
                               last_on=on, **changes)


def answered(state: AppealState, on: date, **changes) -> AppealState:
    """The receiving body's first answer (before any escalation)."""
    return then(state, on, status="answered", answered_on=on, on_time=on <= state.due_on, body_answered_on=on,
                body_on_time=on <= state.body_due_on, stage_answers=1, **changes)


def escalated(state: AppealState, on: date, by: str = "citizen") -> AppealState:
    """The first escalation: the centre receives the appeal, with its own 15-working-day term."""
    return then(state, on, status="escalated", stage="centre", escalations=state.escalations + 1, due_on=answer_due(on),
                term_started_on=on, centre_received_on=on, centre_due_on=answer_due(on), escalated_by=by,
                last_escalated_by=by, stage_answers=0)


def project(db, *histories: list[AppealState]) -> None:
    """Every version of each history into appeal_versions, its last into appeals, as the writer does."""
    versions = [rows.version_row(state, "ref") for history in histories for state in history]
    db.insert("appeal_versions", versions, column_names=rows.VERSION_COLUMNS)
    db.insert("appeals", [rows.state_row(history[-1], "ref") for history in histories], column_names=rows.STATE_COLUMNS)


def history(first: AppealState, *steps) -> list[AppealState]:
    """The versions from `first` on, each step a function of the previous state."""
    out = [first]
    for step in steps:
        out.append(step(out[-1]))
    return out


def one(db, r: str, by: str = "region", today: date = AFTER, **period) -> dict:
    [row] = ranking(by, today=today, db=db, regions=(r,), **period)
    return row


# --- the body's figures ---------------------------------------------------------------------------------------------


def test_a_reopened_appeal_is_answered_and_never_overdue(db):
    """README, the ranking's figures: the body's first answer stays its figure; a reopening starts a new
    15-working-day term (APC Art. 76) whose passing does not make the body's answered appeal overdue, so an
    appeal is never answered and overdue at once. An appeal never answered, its term passed, is overdue."""
    r = region()
    reopened = history(filed(r), lambda s: answered(s, FILED + timedelta(days=2)),
                       lambda s: then(s, FILED + timedelta(days=5), status="open", reopened=1,
                                      due_on=answer_due(FILED + timedelta(days=5)), term_started_on=FILED + timedelta(days=5)))
    ignored = [filed(r)]
    project(db, reopened, ignored)
    row = one(db, r)
    assert reopened[-1].due_on < AFTER
    assert (row["filed"], row["answered"], row["overdue"], row["reopened"]) == (2, 1, 1, 1)
    assert row["response_rate"] == 0.5 and row["on_time_rate"] == 1.0
    assert row["median_response_working_days"] == working_days_between(FILED, FILED + timedelta(days=2))
    assert [a["appeal_id"] for a in overdue(today=AFTER, db=db, regions=(r,))] == [ignored[0].appeal_id]


def test_a_withdrawn_appeal_leaves_the_denominator_of_response_rate_due(db):
    """README: response_rate = answered / filed, the published definition (DOMAIN.md: 89.4 % of messages
    answered), keeps every appeal received; response_rate_due divides by the appeals whose body term ended,
    withdrawn ones left out (nobody is owed an answer to them), and a withdrawn appeal is never overdue."""
    r = region()
    project(db, history(filed(r), lambda s: answered(s, FILED + timedelta(days=1))),
            [filed(r)],
            history(filed(r), lambda s: then(s, FILED + timedelta(days=1), status="withdrawn")))
    row = one(db, r)
    assert (row["filed"], row["answered"], row["overdue"]) == (3, 1, 1)
    assert row["response_rate"] == pytest.approx(1 / 3)
    assert row["response_rate_due"] == 0.5


def test_an_appeal_filed_yesterday_is_outside_response_rate_due(db):
    """APC Art. 76: the body has 15 working days from receipt; an appeal received yesterday is not due yet,
    so it is in response_rate (answered / filed) but not in response_rate_due, and it is not overdue."""
    r = region()
    today = date(2101, 6, 15)
    project(db, history(filed(r, date(2101, 5, 2)), lambda s: answered(s, date(2101, 5, 30))),   # answered late
            [filed(r, today - timedelta(days=1))])
    row = one(db, r, today=today)
    assert (row["filed"], row["answered"], row["overdue"]) == (2, 1, 0)
    assert row["response_rate"] == 0.5 and row["response_rate_due"] == 1.0 and row["on_time_rate"] == 0.0
    # With nothing due yet, the rate has no denominator: null, not 0.
    assert one(db, r, today=today, date_from=today - timedelta(days=1))["response_rate_due"] is None


def test_escalated_appeals_split_by_who_escalated_them(db):
    """README: escalated = escalated to the centre at all (its first escalation); escalated_by_citizen and
    escalated_by_system split them by the first escalation's `by` (the rest by a monitor). An escalated
    appeal is with the centre: not the body's overdue, though its body term ended unanswered."""
    r = region()
    project(db, *(history(filed(r), lambda s, by=by: escalated(s, FILED + timedelta(days=4), by=by))
                  for by in ("citizen", "citizen", "system", "monitor")), [filed(r)])
    row = one(db, r)
    assert (row["filed"], row["escalated"], row["escalated_by_citizen"], row["escalated_by_system"]) == (5, 4, 2, 1)
    assert row["escalation_share"] == 0.8 and row["overdue"] == 1 and row["response_rate_due"] == 0.0


def test_an_answer_after_the_escalation_is_the_centres_not_the_bodys(db):
    """README: the body's answer is its first answer before any escalation; an answer in the centre's
    handling never lifts the body's figures (answered, rated, median)."""
    r = region()
    centre_answer = FILED + timedelta(days=10)
    project(db, history(filed(r), lambda s: escalated(s, FILED + timedelta(days=3)),
                        lambda s: then(s, centre_answer, status="answered", answered_on=centre_answer, on_time=True,
                                       centre_answered_on=centre_answer, centre_on_time=True, stage_answers=1),
                        lambda s: then(s, centre_answer + timedelta(days=1), rated=True, ratings=1, satisfied=True,
                                       centre_satisfied=True)))
    row = one(db, r)
    assert (row["answered"], row["rated"], row["escalated"]) == (0, 0, 1)
    assert row["response_rate"] == 0.0 and row["median_response_working_days"] is None


def test_late_notices_are_those_given_late_and_those_owed_past_their_day(db):
    """APC Art. 76 (a citizen is notified of an extension within 3 working days) and Art. 65 (of a forwarding
    at once): late_notices = notices given after their due day while with the stage, plus those still owed
    whose due day is before the report day; a notice due on the report day is not late yet."""
    r = region()
    today = FILED + timedelta(days=10)
    owed = (("extension", today - timedelta(days=1), "body"), ("forwarding", today, "body"),
            ("extension", today - timedelta(days=2), "centre"))
    project(db, history(filed(r), lambda s: then(s, FILED + timedelta(days=2), body_late_notices=1, centre_late_notices=4,
                                                 notices_owed=owed)))
    assert one(db, r, today=today)["late_notices"] == 1 + 1
    assert kpis(today=today, db=db, regions=(r,))["late_notices"] == 2


# --- as of a report day ---------------------------------------------------------------------------------------------


def test_the_ranking_is_as_it_stood_at_the_end_of_the_report_day(db):
    """README: `--today D` gives the ranking as it stood at the end of day D: each appeal in its latest
    version valid on D (valid_on = the region's legal local day of its latest act), so the same data give
    other statuses for another D, and today's ranking is the appeals' latest state."""
    r = region()
    received, answer, escalation = date(2019, 3, 4), date(2019, 4, 5), date(2019, 4, 10)   # due 2019-03-29
    appeal = history(filed(r, received), lambda s: answered(s, answer), lambda s: escalated(s, escalation))
    project(db, appeal)
    before_due, overdue_day = date(2019, 3, 20), date(2019, 4, 1)
    assert ranking("region", today=received - timedelta(days=1), db=db, regions=(r,)) == []
    figures = {d: one(db, r, today=d) for d in (received, before_due, overdue_day, answer, escalation)}
    seen = {d: (f["filed"], f["answered"], f["overdue"], f["escalated"]) for d, f in figures.items()}
    assert seen == {received: (1, 0, 0, 0), before_due: (1, 0, 0, 0), overdue_day: (1, 0, 1, 0),
                    answer: (1, 1, 0, 0), escalation: (1, 1, 0, 1)}
    assert [a["appeal_id"] for a in overdue(today=overdue_day, db=db, regions=(r,))] == [appeal[0].appeal_id]
    assert overdue(today=answer, db=db, regions=(r,)) == []
    # Asked again, a past day gives the same figures; today's are those of the latest state.
    assert one(db, r, today=overdue_day) == figures[overdue_day]
    assert ranking("region", db=db, regions=(r,)) == [figures[escalation]]
    assert kpis(db=db, regions=(r,)) == {k: v for k, v in figures[escalation].items() if k != "key"}


def test_every_report_day_sees_each_appeal_in_its_latest_version_valid_then(db):
    """The figures read the current state of the appeals not changed after D and the versions of the others
    (queries/ranking.sql): whatever the mix, each appeal counts as its latest version with valid_on <= D has
    it, worked out here from the versions themselves, day by day."""
    r = region()
    start = date(2019, 3, 4)
    histories = []
    for n in range(8):
        received = start + timedelta(days=3 * n)
        steps = [lambda s, n=n: answered(s, s.received_on + timedelta(days=n + 1))] if n % 2 else []
        if n % 3 == 0:
            steps.append(lambda s, n=n: escalated(s, s.received_on + timedelta(days=20 + n)))
        histories.append(history(filed(r, received), *steps))
    project(db, *histories)
    for day in (start - timedelta(days=1), *(start + timedelta(days=d) for d in range(0, 60, 4))):
        stood = [max((v for v in h if v.last_on <= day), key=lambda v: v.sequence, default=None) for h in histories]
        stood = [v for v in stood if v is not None]
        rows_ = ranking("region", today=day, db=db, regions=(r,))
        got = (rows_[0]["filed"], rows_[0]["answered"], rows_[0]["escalated"], rows_[0]["overdue"]) if rows_ else (0, 0, 0, 0)
        assert got == (len(stood), sum(v.body_answered_on is not None for v in stood),
                       sum(v.centre_received_on is not None for v in stood),
                       sum(v.status == "open" and v.body_answered_on is None and v.body_due_on < day for v in stood)), day
        listed = {a["appeal_id"] for a in overdue(today=day, db=db, regions=(r,))}
        assert listed == {v.appeal_id for v in stood
                          if (v.status == "open" and v.body_answered_on is None and v.body_due_on < day)
                          or (v.stage == "centre" and v.centre_answered_on is None and v.centre_due_on < day)}, day


def test_a_state_folded_before_last_on_existed_is_read_from_its_versions(db):
    """A current state without last_on (folded onto a row projected before migration 009) cannot say whether
    it stood so on D: the figures take its versions, which hold from their valid_on (rows.valid_on)."""
    r = region()
    appeal = history(filed(r), lambda s: dataclasses.replace(answered(s, FILED + timedelta(days=2)), last_on=None))
    project(db, appeal)
    assert one(db, r, today=FILED)["answered"] == 0
    assert one(db, r, today=FILED + timedelta(days=2))["answered"] == 1


def test_a_day_before_any_filing_counts_nothing(db):
    """The report day bounds what is known: an appeal received after D is not in D's ranking."""
    r = region()
    project(db, [filed(r, date(2101, 5, 2))])
    assert ranking("region", today=date(2101, 5, 1), db=db, regions=(r,)) == []
    assert kpis(today=date(2101, 5, 1), db=db, regions=(r,))["filed"] == 0


# --- the centre's figures -------------------------------------------------------------------------------------------


def test_the_centres_rows_are_per_region_and_count_only_escalated_appeals(db):
    """README: --by centre counts the centre's handling of the appeals escalated to it in the period, one row
    per region: its own 15-working-day term from its receipt (APC Art. 76), the first answer of its
    handling, its rating, and escalations after the first."""
    r1, r2 = region(), region()
    escalation = FILED + timedelta(days=20)            # after the body's term
    centre_answer = escalation + timedelta(days=7)
    answered_by_centre = history(filed(r1), lambda s: escalated(s, escalation),
                                 lambda s: then(s, centre_answer, status="answered", answered_on=centre_answer,
                                                on_time=True, centre_answered_on=centre_answer, centre_on_time=True,
                                                stage_answers=1),
                                 lambda s: then(s, centre_answer + timedelta(days=1), rated=True, ratings=1,
                                                satisfied=False, centre_satisfied=False))
    waiting = history(filed(r1), lambda s: escalated(s, escalation, by="system"))
    never_escalated = history(filed(r1), lambda s: answered(s, FILED + timedelta(days=1)))
    again = history(filed(r2), lambda s: escalated(s, escalation),
                    lambda s: then(s, escalation + timedelta(days=2), status="open", due_on=answer_due(escalation + timedelta(days=2))),
                    lambda s: then(s, escalation + timedelta(days=4), status="escalated", escalations=2,
                                   last_escalated_by="citizen"))
    project(db, answered_by_centre, waiting, never_escalated, again)
    rows_ = {row["key"]: row for row in ranking("centre", today=AFTER, db=db, regions=(r1, r2))}
    assert set(rows_) == {r1, r2}
    first, second = rows_[r1], rows_[r2]
    assert (first["filed"], first["answered"], first["rated"], first["overdue"], first["escalated"]) == (2, 1, 1, 1, 0)
    assert first["on_time_rate"] == 1.0 and first["dissatisfied_share"] == 1.0 and first["response_rate_due"] == 0.5
    assert first["median_response_working_days"] == working_days_between(escalation, centre_answer)
    assert (second["filed"], second["answered"], second["escalated"], second["escalated_by_citizen"]) == (1, 0, 1, 1)
    # The period is the centre's receipt: escalated after `to`, not counted; received by the body before `from`, counted.
    assert ranking("centre", today=AFTER, db=db, regions=(r1, r2), date_to=escalation - timedelta(days=1)) == []
    assert len(ranking("centre", today=AFTER, db=db, regions=(r1,), date_from=escalation)) == 1
    # Before the escalation the centre has nothing; the body's ranking still has all four appeals.
    assert ranking("centre", today=escalation - timedelta(days=1), db=db, regions=(r1, r2)) == []
    assert one(db, r1)["filed"] == 3 and one(db, r1)["answered"] == 1


# --- the dashboard's period: trend buckets, overdue and escalations within it -----------------------------------------


def test_the_trend_fills_every_day_of_a_short_period_and_buckets_a_long_one_by_week(db):
    """Issue 16, item 2: daily points up to 92 days, Monday-to-Sunday weeks beyond, each bucket present."""
    r = region()
    project(db, history(filed(r, FILED), lambda s: answered(s, FILED + timedelta(days=2))),
            [filed(r, FILED + timedelta(days=9))], [filed(r, FILED + timedelta(days=200))])
    days = trend(FILED, FILED + timedelta(days=13), db=db, regions=(r,))
    assert [p["day"] for p in days] == [(FILED + timedelta(days=i)).isoformat() for i in range(14)]
    assert all(p["day"] == p["until"] for p in days)
    assert {p["day"]: (p["filed"], p["answered"]) for p in days if p["filed"] or p["answered"]} == {
        FILED.isoformat(): (1, 0), (FILED + timedelta(days=2)).isoformat(): (0, 1), (FILED + timedelta(days=9)).isoformat(): (1, 0)}
    weeks = trend(FILED, FILED + timedelta(days=200), db=db, regions=(r,))
    assert weeks[0]["day"] == FILED.isoformat() and date.fromisoformat(weeks[0]["until"]).weekday() == 6   # clipped
    assert all(date.fromisoformat(p["day"]).weekday() == 0 for p in weeks[1:])
    assert weeks[-1]["until"] == (FILED + timedelta(days=200)).isoformat()
    assert (sum(p["filed"] for p in weeks), sum(p["answered"] for p in weeks)) == (3, 1)
    assert trend(FILED, FILED + timedelta(days=13), "week", db=db, regions=(r,))[0]["until"] == weeks[0]["until"]


def test_the_trend_keeps_to_the_days_of_data(db):
    """Without `from` the trend covers all history, from the first filing to the last; a named period is kept whole."""
    r = region()
    project(db, [filed(r, FILED)], [filed(r, FILED + timedelta(days=5))])
    points = trend(db=db, regions=(r,))
    assert (points[0]["day"], points[-1]["until"], len(points)) == (FILED.isoformat(), (FILED + timedelta(days=5)).isoformat(), 6)
    assert len(trend(FILED - timedelta(days=3), FILED + timedelta(days=5), db=db, regions=(r,))) == 9
    assert [p["day"] for p in trend(days=2, date_to=FILED + timedelta(days=5), db=db, regions=(r,))] == [
        (FILED + timedelta(days=i)).isoformat() for i in (3, 4, 5)]
    with pytest.raises(ValueError, match="bucket must be one of day, week"):
        trend(bucket="month", db=db, regions=(r,))


def test_overdue_lists_only_the_appeals_received_in_the_period(db):
    r = region()
    early, late = filed(r, FILED), filed(r, FILED + timedelta(days=3))
    project(db, [early], [late])
    assert {a["appeal_id"] for a in overdue(today=AFTER, db=db, regions=(r,))} == {early.appeal_id, late.appeal_id}
    assert [a["appeal_id"] for a in overdue(today=AFTER, db=db, regions=(r,), date_from=FILED + timedelta(days=1),
                                            date_to=FILED + timedelta(days=9))] == [late.appeal_id]


# --- the contract ---------------------------------------------------------------------------------------------------


def test_every_grouping_gives_every_field(db):
    """The ranking's fields (README): the published ones kept, the new ones added; the KPIs the same, without key."""
    r = region()
    project(db, history(filed(r), lambda s: answered(s, FILED + timedelta(days=1))))
    assert GROUPINGS == ("region", "body", "category", "centre")
    for by in ("region", "body", "category"):
        [row] = ranking(by, today=AFTER, db=db, regions=(r,))
        assert tuple(row) == FIELDS and row["filed"] == 1
    assert set(kpis(today=AFTER, db=db, regions=(r,))) == set(FIELDS) - {"key"}
    with pytest.raises(ValueError, match="--by must be one of region, body, category, centre"):
        ranking("citizen_ref", db=db)


def test_today_is_kazakhstans_legal_date_not_the_servers():
    """DOMAIN.md: since 1 March 2024 all of Kazakhstan is on UTC+5; before, Astana and Almaty were on UTC+6.
    "Today" is the national zone's (Asia/Almaty, from the tzdata package) date, whatever the server's zone."""
    assert local_today(datetime(2024, 2, 28, 18, 30, tzinfo=timezone.utc)) == date(2024, 2, 29)   # 00:30 at UTC+6
    assert local_today(datetime(2024, 3, 1, 18, 30, tzinfo=timezone.utc)) == date(2024, 3, 1)     # 23:30 at UTC+5
    assert local_today(datetime(2024, 3, 1, 19, 0, tzinfo=timezone.utc)) == date(2024, 3, 2)      # 00:00 at UTC+5
    assert isinstance(local_today(), date)


def test_the_body_stage_counts_for_the_body_that_held_it_wherever_the_appeal_goes_later(db):
    """README, terms and owners: the body's first answer, its timeliness and its rating stay the body's. Answered late
    by "akimat", escalated, and sent by the centre to "district": in --by body the late answer is akimat's; the
    district gets nothing of it (its own work is the centre's handling, --by centre)."""
    r = region()
    first = dataclasses.replace(filed(r, body="akimat"), stage_body="akimat")
    late = history(first, lambda s: answered(s, DUE + timedelta(days=3)), lambda s: escalated(s, DUE + timedelta(days=5)),
                   lambda s: then(s, DUE + timedelta(days=6), status="open", body="district"))
    project(db, late)
    rows_by_body = {row["key"]: row for row in ranking("body", today=AFTER, db=db, regions=(r,))}
    assert set(rows_by_body) == {"akimat"}
    assert (rows_by_body["akimat"]["answered"], rows_by_body["akimat"]["on_time_rate"]) == (1, 0.0)
    # A row folded before the body of record was kept (NULL) counts for the body holding the appeal.
    older = dataclasses.replace(filed(r, body="roads"), stage_body=None)
    project(db, [older])
    assert set(row["key"] for row in ranking("body", today=AFTER, db=db, regions=(r,))) == {"akimat", "roads"}
