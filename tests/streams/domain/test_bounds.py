"""The bounds commands are held to: text checks, day and time parsing, the time range and quoted values."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain import bounds
from streams.domain.bounds import encodable, parse_day, parse_time, shown, text_problem, time_problem
from tests.support.messages import json_values

# The README's bounds table ("from 1970-01-01 to 2149-12-31, in UTC and in the offset given; `at` with
# a UTC offset of at most ±14:00"), written out here so the module is checked against the document.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2149, 12, 31)
WIDEST_OFFSET = timedelta(hours=14)

SPECIAL = ["\ud800", "\udfff", "\x00", "\x07", "\x7f", "\x85", "\x9f", "\u200b", "\u2028", "\u00ad",
           " ", "\t", "\n", "\r", "a", "Ә"]
texts = st.lists(st.characters() | st.sampled_from(SPECIAL), max_size=40).map("".join)
not_text = st.none() | st.booleans() | st.integers() | st.floats() | st.binary(max_size=12) | st.lists(st.integers(), max_size=2)
offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda minutes: timezone(timedelta(minutes=minutes)))
aware_times = st.datetimes(timezones=offsets) | st.datetimes(min_value=datetime(1969, 12, 30), max_value=datetime(2150, 1, 2),
                                                             timezones=offsets)


def _is_surrogate(c: str) -> bool:
    return 0xD800 <= ord(c) <= 0xDFFF


def _printable(c: str) -> bool:
    # Python's definition: nothing of the Unicode categories "Other" or "Separator", except the ASCII space.
    return c == " " or unicodedata.category(c)[0] not in "CZ"


def _expected_ok(value: str, limit: int, free_text: bool) -> bool:
    if len(value) > limit or any(_is_surrogate(c) for c in value) or all(c.isspace() for c in value):
        return False
    if free_text:
        return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value)
    return all(_printable(c) for c in value)


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(0, 45), st.booleans())
def test_text_problem_never_raises_and_agrees_with_the_documented_rules(value, limit, free_text):
    problem = text_problem(value, limit, free_text)
    assert problem is None or isinstance(problem, str)
    assert (problem is None) == _expected_ok(value, limit, free_text), (value, limit, free_text, problem)


@pytest.mark.parametrize("value, free_text, words", [
    ("x" * 11, True, "at most 10 characters (got 11)"),
    ("a\ud800", True, "lone surrogate"),
    ("", False, "non-empty"),
    (" \t\n", True, "non-empty"),
    ("a\x00b", True, "without control characters"),
    ("a\x85b", True, "without control characters"),
    ("line\nbreak", False, "printable"),
    ("zero\u200bwidth", False, "printable"),
])
def test_text_problem_says_what_is_wrong(value, free_text, words):
    problem = text_problem(value, 10, free_text)
    assert problem is not None and words in problem


@pytest.mark.parametrize("value", ["Жол жөндеу керек\r\n\tбірден", "a" * 10, "😀 emoji"])
def test_free_text_may_hold_tabs_line_breaks_and_any_letters(value):
    assert text_problem(value, 10_000, free_text=True) is None
    assert ("\n" in value) == (text_problem(value, 10_000, free_text=False) is not None)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_encodable_is_exactly_no_lone_surrogate(value):
    assert encodable(value) == (not any(_is_surrogate(c) for c in value))


@settings(max_examples=200, deadline=None)
@given(not_text | texts | st.dates())
def test_parse_day_never_raises_and_returns_a_day_or_none(value):
    day = parse_day(value)
    assert day is None or type(day) is date
    if not isinstance(value, str):
        assert day is None


@settings(max_examples=200, deadline=None)
@given(st.dates())
def test_parse_day_reads_every_yyyy_mm_dd(day):
    assert parse_day(day.isoformat()) == day


@pytest.mark.parametrize("value", ["2021-02-29", "2021-13-01", "2021-3-1", "1 March 2021", "2021-03-01 ", "2021-03-01T00:00", ""])
def test_parse_day_refuses_what_is_not_a_calendar_day(value):
    assert parse_day(value) is None


@pytest.mark.parametrize("value", ["20210420", "2021W161", "2021-W16-1"])
def test_parse_day_reads_only_yyyy_mm_dd(value):
    assert parse_day(value) is None


@settings(max_examples=200, deadline=None)
@given(not_text | texts | aware_times | aware_times.map(datetime.isoformat) | st.datetimes().map(datetime.isoformat))
def test_parse_time_never_raises_and_returns_only_times_with_an_offset(value):
    moment = parse_time(value)
    assert moment is None or (isinstance(moment, datetime) and moment.utcoffset() is not None)
    if not isinstance(value, str):
        assert moment is None


@settings(max_examples=200, deadline=None)
@given(aware_times)
def test_parse_time_reads_an_iso_time_with_its_offset(moment):
    parsed = parse_time(moment.isoformat())
    assert parsed == moment and parsed.utcoffset() == moment.utcoffset()


@settings(max_examples=200, deadline=None)
@given(st.datetimes())
def test_parse_time_refuses_a_time_without_offset(moment):
    assert parse_time(moment.isoformat()) is None


def test_parse_time_refuses_overlong_strings():
    padded = "2021-03-01T09:15:00.000000+06:00" + " " * 40
    assert parse_time(padded.strip()) is not None and parse_time(padded) is None


def _expected_in_bounds(moment: datetime) -> bool:
    offset = moment.utcoffset()
    try:
        utc = moment.replace(tzinfo=None) - offset
    except OverflowError:
        return False
    return datetime(1970, 1, 1) <= utc < datetime(2150, 1, 1) and FIRST_DAY <= moment.date() <= LAST_DAY


@settings(max_examples=200, deadline=None)
@given(aware_times)
def test_time_problem_never_raises_and_agrees_with_the_documented_bounds(moment):
    problem = time_problem(moment)
    if abs(moment.utcoffset()) > WIDEST_OFFSET:
        assert problem is not None and "offset" in problem
    elif _expected_in_bounds(moment):
        assert problem is None, (moment, problem)
    else:
        assert problem is not None and "1970-01-01" in problem and "2149-12-31" in problem


@pytest.mark.parametrize("text, ok", [
    ("1970-01-01T00:00:00+00:00", True),
    ("1970-01-01T02:00:00+02:00", True),
    ("1970-01-01T01:00:00+02:00", False),          # 1969 in UTC
    ("1969-12-31T23:00:00-02:00", False),          # 1970 in UTC, but 1969 where it was given
    ("2149-12-31T23:59:59.999999+00:00", True),
    ("2149-12-31T23:00:00-05:00", False),          # 2150 in UTC
    ("2150-01-01T03:00:00+05:00", False),          # 2149 in UTC, but 2150 where it was given
    ("2021-03-01T09:15:00+14:00", True),
    ("2021-03-01T09:15:00-14:00", True),
    ("2021-03-01T09:15:00+14:01", False),
    ("2021-03-01T09:15:00-14:00:01", False),
])
def test_time_bounds_at_their_edges(text, ok):
    moment = parse_time(text)
    assert moment is not None
    assert (time_problem(moment) is None) == ok


def test_the_time_constants_describe_the_same_range_as_the_days():
    """ClickHouse's Date32 holds 1900-01-01..2299-12-31; the counters of an appeal are UInt16."""
    assert bounds.EARLIEST_DAY == FIRST_DAY and bounds.LATEST_DAY == LAST_DAY
    assert bounds.EARLIEST_TIME == datetime.combine(FIRST_DAY, datetime.min.time(), timezone.utc)
    assert bounds.TIME_LIMIT == datetime.combine(LAST_DAY + timedelta(days=1), datetime.min.time(), timezone.utc)
    assert date(1900, 1, 1) <= bounds.EARLIEST_DAY and bounds.LATEST_DAY <= date(2299, 12, 31)
    assert bounds.MAX_UTC_OFFSET == WIDEST_OFFSET
    assert 0 < bounds.MAX_EVENTS_PER_APPEAL <= 2**16 - 1


def test_the_size_limits_are_the_documented_ones():
    # README: a command is at most 64 KB (65,536 bytes); a too_large rejection keeps its first 1 KB;
    # ids 1-128 characters, names 1-256, free text 1-10,000.
    assert bounds.MAX_COMMAND_BYTES == 65_536
    assert bounds.COMMAND_PREFIX_BYTES == 1024 < bounds.MAX_COMMAND_BYTES
    assert (bounds.MAX_ID_CHARS, bounds.MAX_NAME_CHARS, bounds.MAX_TEXT_CHARS) == (128, 256, 10_000)


@settings(max_examples=200, deadline=None)
@given(json_values | texts | st.binary(max_size=100))
def test_shown_is_short_and_always_valid_unicode(value):
    text = shown(value)
    assert len(text) <= bounds.MAX_SHOWN_CHARS + 1
    assert encodable(text)
    if len(repr(value)) <= bounds.MAX_SHOWN_CHARS:
        assert text == repr(value)
    else:
        assert text.endswith("…") and text[:-1] == repr(value)[:bounds.MAX_SHOWN_CHARS]
