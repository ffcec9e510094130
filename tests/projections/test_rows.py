"""projections/rows.py: event rows without personal data, state and version rows that round-trip, response times in Kazakh working days."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.clickhouse import run_query
from projections.rows import (EVENT_COLUMNS, STATE_COLUMNS, VERSION_COLUMNS, centre_response_working_days, event_row,
                              response_working_days, state_from_row, state_row, version_row)
from streams.avro import codec
from tests.support.appeals import FIELDS, PATHS, build

KEY = "rows-test-key"
INGESTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
KZ = holidays.country_holidays("KZ")
# Every command kind that carries personal data or free text, in an order the state machine allows.
EVERY_KIND = ["file", "route", "extend", "answer", "rate", "reopen", "withdraw"]
# The README's rule, written out here: what each event type must never bring into a projection.
PERSONAL = {"filed": {"citizen"}, "routed": {"reason"}, "extended": {"reason"}, "answered": {"text"},
            "rated": {"comment"}, "withdrawn": {"reason"}, "reopened": {"reason"}}
SECRETS = {"filed": ["900101301233", "Aida", "pothole"], "routed": [FIELDS["route"]["reason"]],
           "extended": [FIELDS["extend"]["reason"]], "answered": [FIELDS["answer"]["text"]],
           "withdrawn": [FIELDS["withdraw"]["reason"]], "reopened": [FIELDS["reopen"]["reason"]]}


def decoded_events(path: list[str]) -> list[dict]:
    """The appeal's events as the projector sees them: sealed by the domain code, then through Avro."""
    _, events = build(path)
    return [codec.decode(codec.encode_event(e)) for e in events]


def row_of(event: dict, offset: int = 7) -> dict:
    row = event_row(event, "appeals.events", 3, offset, INGESTED, KEY)
    assert len(row) == len(EVENT_COLUMNS)
    return dict(zip(EVENT_COLUMNS, row))


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings_in(v)]
    return []


# --- event rows -----------------------------------------------------------------------------------------------------


def test_event_rows_keep_no_personal_field():
    events = decoded_events(EVERY_KIND)
    assert [e["event_type"] for e in events] == ["filed", "routed", "extended", "answered", "rated", "reopened", "withdrawn"]
    for event in events:
        row = row_of(event)
        payload = json.loads(row["payload"])
        kind = event["event_type"]
        assert set(payload) == set(event["payload"]) - PERSONAL.get(kind, set()), kind
        cells = [c for c in row.values() if isinstance(c, str)] + strings_in(payload)
        for secret in SECRETS.get(kind, []):
            assert not any(secret in cell for cell in cells), (kind, secret)


def test_event_row_of_a_filing_holds_the_citizen_pseudonym_and_the_others_none():
    events = decoded_events(["file", "answer", "rate"])
    rows = [row_of(e) for e in events]
    expected = hmac.new(KEY.encode(), b"900101301233", hashlib.sha256).hexdigest()[:32]
    assert rows[0]["citizen_ref"] == expected
    assert [r["citizen_ref"] for r in rows[1:]] == ["", ""]
    # The same citizen gets the same pseudonym; another key gives another one.
    assert event_row(events[0], "appeals.events", 0, 1, INGESTED, KEY)[EVENT_COLUMNS.index("citizen_ref")] == expected
    assert event_row(events[0], "appeals.events", 0, 1, INGESTED, KEY + "2")[EVENT_COLUMNS.index("citizen_ref")] != expected


def test_event_row_carries_the_lineage_and_the_chain():
    event = decoded_events(["file"])[0]
    row = row_of(event, offset=12345)
    assert row["appeal_id"] == "A-1" and row["sequence"] == 1 and row["event_type"] == "filed"
    assert row["event_id"] == str(event["event_id"]) and isinstance(row["event_id"], str)
    assert (row["topic"], row["partition"], row["offset"], row["ingested_at"]) == ("appeals.events", 3, 12345, INGESTED)
    assert (row["actor_role"], row["actor_id"], row["region"], row["body"]) == ("citizen", "applicant", "75", "almaty-akimat")
    assert row["prev_hash"] == "0" * 64 and row["hash"] == event["hash"]
    assert row["occurred_at"] == datetime(2021, 3, 1, 3, 15, tzinfo=timezone.utc)


def test_event_payload_json_has_sorted_keys_and_utc_z_times():
    event = decoded_events(["file"])[0]
    almaty = timezone(timedelta(hours=6))
    event["payload"] = dict(event["payload"], checked_at=datetime(2021, 3, 1, 9, 15, 30, 123456, tzinfo=almaty),
                            zulu=datetime(2021, 12, 31, 23, 0, tzinfo=timezone.utc), nested={"b": 1, "a": date(2021, 3, 1)})
    text = row_of(event)["payload"]
    pairs = json.loads(text, object_pairs_hook=list)
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys) and "citizen" not in keys
    payload = dict(pairs)
    assert payload["checked_at"] == "2021-03-01T03:15:30.123456Z"
    assert payload["zulu"] == "2021-12-31T23:00:00Z"
    assert payload["nested"] == [("a", "2021-03-01"), ("b", 1)]
    assert payload["received_on"] == "2021-03-01" and payload["due_on"] == "2021-03-26"
    assert " " not in text and "+00:00" not in text and "+06:00" not in text


def test_event_rows_go_into_the_engine(db):
    appeal_id = f"rows-{uuid.uuid4().hex[:10]}"
    events = decoded_events(EVERY_KIND)
    rows = [event_row(dict(e, appeal_id=appeal_id), "appeals.events", 0, 100 + i, INGESTED, KEY) for i, e in enumerate(events)]
    db.insert("appeal_events", rows, column_names=EVENT_COLUMNS)
    stored = db.query("SELECT sequence, event_type, JSONExtractString(payload, 'to_body'), citizen_ref FROM appeal_events FINAL "
                      "WHERE appeal_id = {a:String} ORDER BY sequence", parameters={"a": appeal_id}).result_rows
    assert [(s, t) for s, t, _, _ in stored] == [(i + 1, e["event_type"]) for i, e in enumerate(events)]
    assert stored[1][2] == "almaty-roads" and stored[0][3] == rows[0][EVENT_COLUMNS.index("citizen_ref")] != ""


# --- state rows -----------------------------------------------------------------------------------------------------

STATE_PATHS = {name: path for name, path in PATHS.items() if path} | {"every_kind": EVERY_KIND}


def as_utc(value):
    """The engine gives DateTime64('UTC') back as naive UTC: read it as such, to compare values."""
    return value.replace(tzinfo=timezone.utc) if isinstance(value, datetime) and value.tzinfo is None else value


@pytest.mark.parametrize("name", list(STATE_PATHS))
def test_state_row_and_state_from_row_round_trip(name):
    state, _ = build(STATE_PATHS[name])
    row = state_row(state, "ref-1")
    assert len(row) == len(STATE_COLUMNS)
    columns = dict(zip(STATE_COLUMNS, row))
    assert columns["response_working_days"] == response_working_days(state)
    back, ref = state_from_row(columns)
    assert (back.as_dict(), ref) == (state.as_dict(), "ref-1")
    assert back == dataclasses.replace(state, command_ids=frozenset())


def with_notices(state):
    """The state with two notices owed to the citizen (APC Art. 76 extension, Art. 65 forwarding), one per stage."""
    return dataclasses.replace(state, notices_owed=(("extension", date(2021, 3, 4), "body"),
                                                    ("forwarding", date(2021, 3, 9), "centre")))


def test_notices_owed_go_out_as_a_list_of_tuples_and_come_back_as_the_states_tuples():
    """The state is frozen and hashable (tuples); the engine's Array(Tuple(...)) takes and gives a list."""
    state = with_notices(build(PATHS["open"])[0])
    row = dict(zip(STATE_COLUMNS, state_row(state, "ref")))
    assert row["notices_owed"] == [("extension", date(2021, 3, 4), "body"), ("forwarding", date(2021, 3, 9), "centre")]
    back, _ = state_from_row(dict(row, notices_owed=[list(n) for n in row["notices_owed"]]))
    assert back == dataclasses.replace(state, command_ids=frozenset())
    assert isinstance(back.notices_owed, tuple) and all(isinstance(n, tuple) for n in back.notices_owed)
    hash(back)


def test_a_version_row_is_the_state_row_and_the_day_it_holds_from():
    """valid_on = last_on, the region's legal local day of the latest act (DOMAIN.md: the day of an act)."""
    state, _ = build(PATHS["answered"])
    row = version_row(state, "ref")
    assert len(row) == len(VERSION_COLUMNS) and VERSION_COLUMNS[:-1] == STATE_COLUMNS
    assert row[:-1] == state_row(state, "ref") and row[-1] == state.last_on == date(2021, 3, 2)
    # A state folded onto a row projected before last_on existed: the same day, worked out from last_at.
    late_evening = dataclasses.replace(state, last_on=None, last_at=datetime(2021, 3, 2, 19, 30, tzinfo=timezone.utc))
    assert version_row(late_evening, "ref")[-1] == date(2021, 3, 3)    # 01:30 on 3 March in Almaty (UTC+6 then)


@pytest.mark.parametrize("name", list(STATE_PATHS))
def test_state_rows_round_trip_through_the_engine(db, name):
    state, _ = build(STATE_PATHS[name])
    state = with_notices(dataclasses.replace(state, appeal_id=f"rows-{name}-{uuid.uuid4().hex[:8]}"))
    db.insert("appeals", [state_row(state, "ref-2")], column_names=STATE_COLUMNS)
    [row] = run_query("states_by_id", {"ids": [state.appeal_id]}, db)
    assert set(row) == set(STATE_COLUMNS)
    back, ref = state_from_row(row)
    assert ref == "ref-2" and row["response_working_days"] == response_working_days(state)
    assert {k: as_utc(v) for k, v in back.as_dict().items()} == state.as_dict()
    assert back == dataclasses.replace(state, command_ids=frozenset())


def test_version_rows_go_into_the_engine_with_every_state_column(db):
    state = with_notices(dataclasses.replace(build(PATHS["answered_rated"])[0], appeal_id=f"rows-v-{uuid.uuid4().hex[:8]}"))
    db.insert("appeal_versions", [version_row(state, "ref-3")], column_names=VERSION_COLUMNS)
    stored = db.query("SELECT * FROM appeal_versions WHERE appeal_id = {a:String}", parameters={"a": state.appeal_id})
    assert set(stored.column_names) == set(VERSION_COLUMNS)
    [values] = stored.result_rows
    row = dict(zip(stored.column_names, values))
    back, ref = state_from_row(row)
    assert back == dataclasses.replace(state, command_ids=frozenset()) and ref == "ref-3"
    assert row["valid_on"] == state.last_on


def test_a_state_read_back_from_the_engine_has_aware_times(db):
    state, _ = build(PATHS["answered"])
    state = dataclasses.replace(state, appeal_id=f"rows-aware-{uuid.uuid4().hex[:8]}")
    db.insert("appeals", [state_row(state, "r")], column_names=STATE_COLUMNS)
    [row] = run_query("states_by_id", {"ids": [state.appeal_id]}, db)
    back, _ = state_from_row(row)
    assert back.as_dict() == state.as_dict()


@pytest.fixture
def almaty_local_time():
    """The process's local time zone set to Asia/Almaty (a worker on a Kazakh server), restored afterwards."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Almaty"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_a_state_loaded_and_written_again_keeps_its_times_off_utc(db, almaty_local_time):
    state, _ = build(PATHS["answered"])
    state = dataclasses.replace(state, appeal_id=f"rows-tz-{uuid.uuid4().hex[:8]}")
    db.insert("appeals", [state_row(state, "r")], column_names=STATE_COLUMNS)
    [row] = run_query("states_by_id", {"ids": [state.appeal_id]}, db)
    loaded, ref = state_from_row(row)
    written_again = dataclasses.replace(loaded, sequence=loaded.sequence + 1)
    db.insert("appeals", [state_row(written_again, ref)], column_names=STATE_COLUMNS)
    [again] = run_query("states_by_id", {"ids": [state.appeal_id]}, db)
    assert again["sequence"] == state.sequence + 1
    assert as_utc(again["filed_at"]) == state.filed_at and as_utc(again["answered_at"]) == state.answered_at


# --- response times in working days ----------------------------------------------------------------------------------


def kz_working_days(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`, walked day by day over the `holidays` calendar."""
    return sum(KZ.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def answered(received_on: date, answered_on: date | None):
    """An appeal the receiving body answered first on `answered_on` (README: the body's response time)."""
    state, _ = build(PATHS["answered"])
    return dataclasses.replace(state, received_on=received_on, answered_on=answered_on, body_answered_on=answered_on)


def test_an_unanswered_appeal_has_no_response_time():
    assert response_working_days(build(PATHS["open"])[0]) is None
    assert response_working_days(build(PATHS["escalated"])[0]) is None
    assert response_working_days(answered(date(2021, 3, 1), None)) is None
    assert centre_response_working_days(build(PATHS["escalated"])[0]) is None
    assert centre_response_working_days(build(PATHS["answered"])[0]) is None


def test_answering_on_the_due_day_takes_15_working_days():
    # APPC art. 76: 15 working days from receipt; 8 March and Nauryz (21-24 March 2021, with the day in lieu) are not counted.
    state, _ = build(PATHS["answered"])
    assert state.received_on == date(2021, 3, 1) and state.due_on == date(2021, 3, 26)
    assert kz_working_days(state.received_on, state.due_on) == 15
    assert response_working_days(dataclasses.replace(state, body_answered_on=state.due_on)) == 15
    assert response_working_days(dataclasses.replace(state, body_answered_on=date(2021, 3, 29))) == 16   # the next working day
    assert response_working_days(state) == 1                                                            # answered the next day


def test_the_response_time_is_the_bodys_first_answer_and_the_centres_its_own():
    """README, the ranking's figures: the median counts receipt to the body's first answer (a later answer,
    after a reopening or in the centre's handling, does not move it); the centre's from its receipt
    (the first escalation) to the first answer of its handling."""
    state, _ = build(PATHS["answered"])
    reanswered = dataclasses.replace(state, answered_on=date(2021, 4, 30))       # answered again after a reopening
    assert response_working_days(reanswered) == response_working_days(state) == 1
    centre = dataclasses.replace(state, stage="centre", centre_received_on=date(2021, 3, 19),
                                 centre_answered_on=date(2021, 3, 29), answered_on=date(2021, 3, 29))
    assert response_working_days(centre) == 1
    assert centre_response_working_days(centre) == kz_working_days(date(2021, 3, 19), date(2021, 3, 29)) == 3   # Nauryz off
    row = dict(zip(STATE_COLUMNS, state_row(centre, "r")))
    assert (row["response_working_days"], row["centre_response_working_days"]) == (1, 3)


@pytest.mark.parametrize("received, answered_on, expected", [
    (date(2021, 3, 19), date(2021, 3, 29), 3),    # Nauryz 21-23 March 2021 and its day in lieu (24th) are off
    (date(2021, 7, 2), date(2021, 7, 7), 2),      # Saturday 3 July 2021 was worked for Monday 5 July; 6 July is Capital Day
    (date(2024, 12, 31), date(2025, 1, 10), 5),   # 1-3 January and Christmas (7th) off; Sunday 5 January 2025 worked
    (date(2023, 5, 5), date(2023, 5, 12), 3),     # 8 May 2023 (for Sunday 7 May) and 9 May are off
    (date(2021, 3, 1), date(2021, 3, 1), 0),      # answered on the day of receipt
])
def test_response_working_days_follow_the_kazakh_calendar(received, answered_on, expected):
    assert kz_working_days(received, answered_on) == expected
    assert response_working_days(answered(received, answered_on)) == expected


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2019, 1, 1), date(2030, 12, 31)), st.integers(0, 400))
def test_response_working_days_equal_a_day_by_day_count(received, span):
    answered_on = received + timedelta(days=span)
    assert response_working_days(answered(received, answered_on)) == kz_working_days(received, answered_on)
