"""Working-day arithmetic against the `holidays` package's own KZ calendar, and a year's decree over it."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain.calendar import (NO_OVERRIDES, CalendarFileError, CalendarOverrides, add_working_days, answer_due,
                                     install, installed, is_working_day, load_overrides, parse_overrides,
                                     working_days_between)
from tests.support.messages import json_values

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "calendar" / "example.json"
RECEIVED = date(2026, 4, 1)   # a Wednesday with no public holiday in the 15 working days after it


@pytest.fixture(autouse=True)
def package_calendar_restored():
    """Each test starts from the package alone (whatever TYNDAU_CALENDAR_FILE installed) and leaves the calendar as it
    found it, so no other test counts with its overrides."""
    before = installed()
    install(NO_OVERRIDES)
    yield
    install(before)


def test_working_days_between_matches_the_holiday_calendar_across_years():
    kz = holidays.country_holidays("KZ")
    rnd = random.Random(5)
    for _ in range(3000):
        start = date(2020, 1, 1) + timedelta(days=rnd.randrange(2500))
        end = start + timedelta(days=rnd.randrange(-10, 900))
        expected = 0 if end <= start else kz.get_working_days_count(start, end) - kz.is_working_day(start)
        assert working_days_between(start, end) == expected, (start, end)


def test_new_year_and_nauryz_are_not_working_days():
    # 31 Dec 2025 (Wed) → 5 Jan 2026 (Mon): 1–2 January are holidays, 3–4 a weekend.
    assert working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 1
    # 20 March 2026 (Fri) + 1 working day skips Nauryz (21–23 March) and its transferred day off.
    assert add_working_days(date(2026, 3, 20), 1) > date(2026, 3, 23)
    assert working_days_between(date(2026, 3, 20), add_working_days(date(2026, 3, 20), 15)) == 15


def overrides(days_off=(), working_days=()) -> CalendarOverrides:
    return CalendarOverrides({day: "transferred day off" for day in days_off}, frozenset(working_days), "a test decree")


def test_the_package_alone_gives_the_answer_term():
    """APC Art. 76: 15 working days from receipt. After Wed 1 April 2026: 2-3, 6-10, 13-17 and 20-22 April."""
    assert answer_due(RECEIVED) == date(2026, 4, 22)


def test_a_transferred_day_off_moves_the_due_date():
    """APC Art. 76: 15 working days. A decree that makes Friday 10 April a day off leaves 14 working days by the 22nd,
    so the 15th is Thursday 23 April."""
    install(overrides(days_off=[date(2026, 4, 10)]))
    assert not is_working_day(date(2026, 4, 10))
    assert answer_due(RECEIVED) == date(2026, 4, 23)
    assert working_days_between(RECEIVED, date(2026, 4, 23)) == 15


def test_a_saturday_made_a_working_day_counts():
    """APC Art. 76: 15 working days. A decree that makes Saturday 4 April a working day brings the 15th to 21 April."""
    install(overrides(working_days=[date(2026, 4, 4)]))
    assert is_working_day(date(2026, 4, 4)) and not is_working_day(date(2026, 4, 5))
    assert answer_due(RECEIVED) == date(2026, 4, 21)
    assert working_days_between(RECEIVED, date(2026, 4, 21)) == 15
    assert add_working_days(date(2026, 4, 3), 1) == date(2026, 4, 4)


def test_install_and_uninstall_round_trip_and_clear_the_caches():
    package = (answer_due(RECEIVED), working_days_between(RECEIVED, date(2026, 4, 30)))   # now cached
    decree = overrides(days_off=[date(2026, 4, 10)], working_days=[date(2026, 4, 18)])
    install(decree)
    assert installed() is decree
    assert (answer_due(RECEIVED), working_days_between(RECEIVED, date(2026, 4, 30))) == (date(2026, 4, 22), package[1])
    install(overrides(days_off=[date(2026, 4, 10)]))
    assert answer_due(RECEIVED) == date(2026, 4, 23)
    assert working_days_between(RECEIVED, date(2026, 4, 30)) == package[1] - 1
    install(NO_OVERRIDES)
    assert installed() is NO_OVERRIDES
    assert (answer_due(RECEIVED), working_days_between(RECEIVED, date(2026, 4, 30))) == package


@settings(max_examples=150, deadline=None)
@given(st.sets(st.dates(date(2025, 11, 1), date(2027, 2, 28)), max_size=8),
       st.sets(st.dates(date(2025, 11, 1), date(2027, 2, 28)), max_size=8),
       st.dates(date(2025, 10, 1), date(2027, 3, 31)), st.integers(-20, 40))
def test_every_function_counts_with_the_installed_overrides(off, working, start, n):
    install(overrides(days_off=off - working, working_days=working))
    end = add_working_days(start, n)
    if n > 0:
        assert is_working_day(end) and working_days_between(start, end) == n
    counted = sum(is_working_day(start + timedelta(days=i)) for i in range(1, 60))
    assert working_days_between(start, start + timedelta(days=59)) == counted


def test_the_example_file_parses_and_says_it_is_an_example():
    example = load_overrides(EXAMPLE)
    assert "EXAMPLE" in json.loads(EXAMPLE.read_text(encoding="utf-8"))["comment"]
    assert example.decree and example.working_days and example.days_off
    install(example)
    assert all(is_working_day(day) for day in example.working_days)
    assert not any(is_working_day(day) for day in example.days_off)


def test_a_valid_file_gives_its_days():
    text = json.dumps({"decree": "Government Decree No. 1 of 1 December 2025", "years": {
        "2026": {"days_off": {"2026-01-05": "transferred day off"}, "working_days": ["2026-01-03"]},
        "2027": {"working_days": []}}})
    assert parse_overrides(text, "decree.json") == CalendarOverrides({date(2026, 1, 5): "transferred day off"},
                                                                     frozenset({date(2026, 1, 3)}),
                                                                     "Government Decree No. 1 of 1 December 2025")


def _file(years, **top) -> str:
    return json.dumps({"decree": "Decree No. 1", "years": years, **top})


@pytest.mark.parametrize("text, key, fix", [
    ("{not json", "the file", "not JSON"),
    ("[]", "the file", "JSON object"),
    (json.dumps({"years": {}}), "decree", "name the act"),
    (json.dumps({"decree": " ", "years": {}}), "decree", "name the act"),
    (_file({}, extra=1), "key 'extra'", "not one of"),
    (_file([]), "years", "JSON object"),
    (_file({"26": {}}), "years.26", "four digits"),
    (_file({"2026": []}), "years.2026", "JSON object"),
    (_file({"2026": {"day_off": {}}}), "years.2026.day_off", "not one of"),
    (_file({"2026": {"days_off": ["2026-01-05"]}}), "years.2026.days_off", "JSON object"),
    (_file({"2026": {"days_off": {"2026-02-30": "x"}}}), "years.2026.days_off.2026-02-30", "no day of the calendar"),
    (_file({"2026": {"days_off": {"5 January": "x"}}}), "years.2026.days_off.5 January", "YYYY-MM-DD"),
    (_file({"2026": {"days_off": {"20260105": "x"}}}), "years.2026.days_off.20260105", "YYYY-MM-DD"),
    (_file({"2026": {"days_off": {"2026-01-05": ""}}}), "years.2026.days_off.2026-01-05", "name"),
    (_file({"2026": {"days_off": {"2026-01-05": 1}}}), "years.2026.days_off.2026-01-05", "name"),
    (_file({"2026": {"days_off": {"2025-12-29": "x"}}}), "years.2026.days_off.2025-12-29", 'under the key "2025"'),
    (_file({"2026": {"working_days": "2026-01-03"}}), "years.2026.working_days", "array of dates"),
    (_file({"2026": {"working_days": ["2027-01-02"]}}), "years.2026.working_days[0]", 'under the key "2027"'),
    (_file({"2026": {"working_days": ["2026-01-03", "2026-01-03"]}}), "years.2026.working_days[1]", "listed twice"),
    (_file({"2026": {"days_off": {"2026-01-05": "x"}, "working_days": ["2026-01-05"]}}), "years.2026.working_days[0]",
     "either off or working"),
    ('{"decree": "D", "years": {"2026": {"days_off": {"2026-01-05": "a", "2026-01-05": "b"}}}}', "'2026-01-05'",
     "appears twice"),
])
def test_a_bad_file_names_the_file_the_key_and_the_fix(text, key, fix):
    with pytest.raises(CalendarFileError) as raised:
        parse_overrides(text, "/etc/tyndau/calendar-2026.json")
    message = str(raised.value)
    assert message.startswith("/etc/tyndau/calendar-2026.json: ") and key in message and fix in message, message


def test_a_missing_or_unreadable_file_names_the_setting(tmp_path):
    for path in (tmp_path / "missing.json", tmp_path):
        with pytest.raises(CalendarFileError, match="TYNDAU_CALENDAR_FILE") as raised:
            load_overrides(path)
        assert str(path) in str(raised.value) and "unset it" in str(raised.value)
    latin = tmp_path / "latin1.json"
    latin.write_bytes('{"decree": "Постановление"}'.encode("cp1251"))
    with pytest.raises(CalendarFileError, match="TYNDAU_CALENDAR_FILE"):
        load_overrides(latin)
    broken = tmp_path / "broken.json"
    broken.write_text(_file({"2026": {"working_days": ["2025-12-27"]}}), encoding="utf-8")
    with pytest.raises(CalendarFileError, match=r"TYNDAU_CALENDAR_FILE=.*years\.2026\.working_days\[0\]"):
        load_overrides(broken)


# Mostly well-formed decrees for 2026 (so the property reaches the successful path too), some near misses.
in_2026 = st.dates(date(2026, 1, 1), date(2026, 12, 31)).map(date.isoformat)
dates_text = st.one_of(in_2026, in_2026, in_2026, st.dates(date(2024, 1, 1), date(2028, 12, 31)).map(date.isoformat),
                       st.text(max_size=12))
years_text = st.one_of(st.just("2026"), st.just("2026"), st.sampled_from(["2025", "26", "０２０２６"]),
                       st.text(max_size=6))
names = st.one_of(st.just("day off"), st.just("day off"), st.sampled_from(["", None]))
near_valid = st.builds(
    lambda decree, years: {"decree": decree, "years": years},
    st.one_of(st.just("Decree No. 1"), st.just("Decree No. 1"), st.sampled_from(["", 7])),
    st.dictionaries(years_text, st.fixed_dictionaries({}, optional={
        "days_off": st.dictionaries(dates_text, names, max_size=4),
        "working_days": st.lists(dates_text, max_size=4) | json_values}), max_size=2))
valid_files = st.builds(
    lambda off, working: {"decree": "Decree No. 1", "years": {"2026": {
        "days_off": {day.isoformat(): "day off" for day in off - working}, "working_days": sorted(map(str, working))}}},
    st.sets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=4),
    st.sets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=4))

@settings(max_examples=400, deadline=None)
@given(valid_files.map(json.dumps) | near_valid.map(json.dumps) | json_values.map(json.dumps) | st.text(max_size=80)
       | json_values | st.binary(max_size=20) | st.sampled_from(["[" * 100_000, '{"a": 1e999999}', "NaN", '"\\ud800"', "9" * 5000, "", "\x00"]))
def test_parse_overrides_returns_overrides_or_a_calendar_file_error_for_any_text(text):
    """STYLE.md 16: a boundary returns a value or its typed error for any input; a JSON value that is no text too."""
    try:
        result = parse_overrides(text, "any.json")
    except CalendarFileError as error:
        assert str(error).startswith("any.json: ")
    else:
        assert isinstance(result, CalendarOverrides)
        assert not set(result.days_off) & result.working_days

