"""Decoded Avro values as JSON: times in UTC with Z, dates, UUIDs and bytes as text, containers walked through."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.avro.jsonable import json_default, jsonable
from tests.support.appeals import build

ALMATY = timezone(timedelta(hours=6))
offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=12) | st.uuids()
           | st.binary(max_size=8) | st.dates() | st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2299, 12, 30),
                                                                 timezones=offsets))
keys = st.text(max_size=6)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(keys, inner, max_size=3), max_leaves=6)


@pytest.mark.parametrize("moment, text", [
    (datetime(2021, 3, 1, 9, 15, tzinfo=ALMATY), "2021-03-01T03:15:00Z"),
    (datetime(2021, 3, 1, 3, 15, 0, 250000, tzinfo=timezone.utc), "2021-03-01T03:15:00.250000Z"),
    (datetime(2021, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=5))), "2020-12-31T21:00:00Z"),
    (datetime(2021, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2))), "2022-01-01T01:00:00Z"),
])
def test_times_are_written_in_utc_with_z(moment, text):
    assert json_default(moment) == text
    assert datetime.fromisoformat(text) == moment


def test_dates_uuids_and_bytes_are_text():
    assert json_default(date(2021, 3, 22)) == "2021-03-22"
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert json_default(ident) == "12345678-1234-5678-1234-567812345678"
    assert json_default("Жол".encode()) == "Жол"
    assert json_default(b"ok\xff") == "ok\ufffd"


def test_a_time_is_not_mistaken_for_a_date():
    assert json_default(datetime(2021, 3, 1, 0, 0, tzinfo=timezone.utc)) != "2021-03-01"


@pytest.mark.parametrize("value", [{1, 2}, object(), 1.5j, timedelta(days=1)])
def test_other_types_are_refused_as_json_would(value):
    with pytest.raises(TypeError):
        json_default(value)
    with pytest.raises(TypeError):
        json.dumps({"v": value}, default=json_default)


def test_jsonable_walks_dicts_lists_and_tuples_and_keeps_json_scalars():
    value = {"a": [date(2021, 3, 1), (b"x", None)], "b": {"c": uuid.UUID(int=1)}, "n": 1, "f": 0.5, "t": True, "s": "s"}
    assert jsonable(value) == {"a": ["2021-03-01", ["x", None]], "b": {"c": "00000000-0000-0000-0000-000000000001"},
                               "n": 1, "f": 0.5, "t": True, "s": "s"}
    assert isinstance(jsonable((1, 2)), list)


@settings(max_examples=200, deadline=None)
@given(values)
def test_jsonable_is_what_json_dumps_with_json_default_writes(value):
    converted = jsonable(value)
    assert json.loads(json.dumps(converted)) == converted, "only JSON values are left"
    assert json.loads(json.dumps(value, default=json_default)) == converted


@settings(max_examples=200, deadline=None)
@given(values)
def test_orjson_with_passthrough_datetimes_writes_the_same(value):
    """projections/rows.py writes payloads with orjson, datetimes passed through to json_default."""
    written = orjson.dumps(value, option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS, default=json_default)
    assert orjson.loads(written) == jsonable(value)


def test_a_real_event_becomes_json_with_its_times_in_utc():
    _, events = build(["file", "answer"])
    answered = jsonable(events[1])
    assert json.loads(json.dumps(answered)) == answered
    assert answered["occurred_at"].endswith("Z")
    assert datetime.fromisoformat(answered["occurred_at"]) == events[1]["occurred_at"]
    assert answered["payload"]["answered_on"] == events[1]["payload"]["answered_on"].isoformat()
    assert events[1]["occurred_at"].utcoffset() == timedelta(hours=6), "the source keeps its own values"
