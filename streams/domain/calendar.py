"""Working days in Kazakhstan and the deadline rules of the Administrative Procedural Code."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays

ANSWER_TERM_WORKING_DAYS = 15   # Art. 76: 15 working days from receipt
FORWARD_TERM_WORKING_DAYS = 3   # Art. 65: forward to the competent body within 3 working days
MAX_EXTENSION_MONTHS = 2        # Art. 76: extension to no more than two months in total

# The setting that names an override file, for messages that tell an operator what to change.
CALENDAR_FILE_SETTING = "TYNDAU_CALENDAR_FILE"


class CalendarFileError(ValueError):
    """A calendar override file that cannot be read or does not follow the format; the message says what to fix."""


@dataclass(frozen=True)
class CalendarOverrides:
    """A year's transfer decree over the `holidays` package's calendar.

    The Government publishes each year which days off are moved; a deployment applies it from a file
    rather than waiting for a release of the package."""
    days_off: dict[date, str] = field(default_factory=dict)   # not working although the package says so
    working_days: frozenset[date] = frozenset()                # working although the package says not
    decree: str = ""                                           # the act the overrides come from


NO_OVERRIDES = CalendarOverrides()
_installed = NO_OVERRIDES


@lru_cache(maxsize=1)
def _kazakhstan() -> holidays.HolidayBase:
    # Years are filled in lazily by the package as dates are asked about.
    return holidays.country_holidays("KZ")


def is_working_day(day: date) -> bool:
    if day in _installed.working_days:
        return True
    if day in _installed.days_off:
        return False
    return _kazakhstan().is_working_day(day)


@lru_cache(maxsize=65536)
def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (the start day itself is not counted).

    As the package's get_nth_working_day: a negative n goes back, n = 0 is `start` or the next working day."""
    step = timedelta(days=1 if n >= 0 else -1)
    day = start
    for _ in range(abs(n) or 1):
        if n:
            day += step
        while not is_working_day(day):
            day += step
    return day


@lru_cache(maxsize=None)
def _working_days_through(year: int) -> tuple[int, ...]:
    """For each day of `year` (index 0 = 1 January), the year's working days up to and including it."""
    counts, total, day = [], 0, date(year, 1, 1)
    while day.year == year:
        total += is_working_day(day)
        counts.append(total)
        day += timedelta(days=1)
    return tuple(counts)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    Counted from per-year running totals, so each call is a few lookups rather than a walk over
    the calendar: projections and replays ask this once per answered appeal."""
    if end <= start:
        return 0
    count = _working_days_through(end.year)[end.timetuple().tm_yday - 1]
    for year in range(start.year, end.year):
        count += _working_days_through(year)[-1]
    return count - _working_days_through(start.year)[start.timetuple().tm_yday - 1]


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def answer_due(received_on: date) -> date:
    return add_working_days(received_on, ANSWER_TERM_WORKING_DAYS)


def forward_by(received_on: date) -> date:
    return add_working_days(received_on, FORWARD_TERM_WORKING_DAYS)


def latest_extension(received_on: date) -> date:
    return add_months(received_on, MAX_EXTENSION_MONTHS)


def install(overrides: CalendarOverrides) -> None:
    """Make every function of this module count working days with `overrides` (NO_OVERRIDES: the package alone)."""
    global _installed
    _installed = overrides
    # The caches hold answers computed under the previous calendar.
    add_working_days.cache_clear()
    _working_days_through.cache_clear()


def installed() -> CalendarOverrides:
    return _installed


# The override file ------------------------------------------------------------------------------------------

_FILE_KEYS = {"decree", "comment", "years"}
_YEAR_KEYS = {"days_off", "working_days"}
_YEAR = re.compile(r"[12][0-9]{3}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EXAMPLE = ('{"decree": "Government Decree No. … of …", "years": {"2026": {"days_off": {"2026-01-05": "…"}, '
            '"working_days": ["2026-01-03"]}}}')


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys silently; in a decree that is a day lost without a word.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen.add(key)
    return dict(pairs)


class _Duplicate(Exception):
    pass


def _object(value: Any, where: str, fail) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(where, f"must be a JSON object, not {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _day(text: Any, year: int, where: str, fail) -> date:
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        fail(where, f"{text!r} must be a date written YYYY-MM-DD, e.g. \"{year}-01-05\"")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        fail(where, f"{text!r} is no day of the calendar")
    if day.year != year:
        fail(where, f"{text} is not in {year}: list it under the key \"{day.year}\"")
    return day


def parse_overrides(text: str, source: str) -> CalendarOverrides:
    """The overrides a calendar file's text gives, or CalendarFileError naming `source`, the key and the fix.

    The format: {"decree": "<the act>", "comment": "<optional>", "years": {"2026": {"days_off":
    {"2026-01-05": "<name>"}, "working_days": ["2026-01-03"]}}}; each date lies in its year's key, and no
    day is both off and working."""

    def fail(where: str, problem: str):
        raise CalendarFileError(f"{source}: {where}: {problem}. The format is {_EXAMPLE}")

    if not isinstance(text, str):
        fail("the file", "must be text")
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except _Duplicate as duplicate:
        fail(f"key {duplicate.args[0]!r}", "appears twice in one object; keep one")
    except (ValueError, RecursionError) as error:
        fail("the file", f"is not JSON ({str(error)[:120]})")
    document = _object(document, "the file", fail)
    for key in sorted(set(document) - _FILE_KEYS):
        fail(f"key {key!r}", f"is not one of {sorted(_FILE_KEYS)}")
    decree = document.get("decree")
    if not isinstance(decree, str) or not decree.strip():
        fail("decree", "must name the act the overrides come from, e.g. \"Government Decree No. … of …\"")
    if not isinstance(document.get("comment", ""), str):
        fail("comment", "must be a string")
    days_off: dict[date, str] = {}
    working: set[date] = set()
    for year_key, entry in _object(document.get("years"), "years", fail).items():
        if not _YEAR.fullmatch(year_key):
            fail(f"years.{year_key}", "must be a year written with four digits, e.g. \"2026\"")
        year, entry = int(year_key), _object(entry, f"years.{year_key}", fail)
        for key in sorted(set(entry) - _YEAR_KEYS):
            fail(f"years.{year_key}.{key}", f"is not one of {sorted(_YEAR_KEYS)}")
        for day_text, name in _object(entry.get("days_off", {}), f"years.{year_key}.days_off", fail).items():
            where = f"years.{year_key}.days_off.{day_text}"
            day = _day(day_text, year, where, fail)
            if not isinstance(name, str) or not name.strip():
                fail(where, "must be the day's name, e.g. \"transferred day off\"")
            days_off[day] = name
        listed = entry.get("working_days", [])
        if not isinstance(listed, list):
            fail(f"years.{year_key}.working_days", f"must be an array of dates, not {_kind(listed)}")
        for index, day_text in enumerate(listed):
            where = f"years.{year_key}.working_days[{index}]"
            day = _day(day_text, year, where, fail)
            if day in working:
                fail(where, f"{day} is listed twice")
            if day in days_off:
                fail(where, f"{day} is also in days_off: a day is either off or working")
            working.add(day)
    return CalendarOverrides(days_off, frozenset(working), decree.strip())


def load_overrides(path: str | Path) -> CalendarOverrides:
    """The overrides in the UTF-8 file at `path`; read once, at configuration (streams/settings.py)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError) as error:   # ValueError: not UTF-8, or a NUL in the path
        raise CalendarFileError(
            f"{CALENDAR_FILE_SETTING}={str(path)!r}: cannot read the calendar override file ({error}); point "
            f"{CALENDAR_FILE_SETTING} at the year's decree file (format: deploy/calendar/example.json) or unset it"
        ) from None
    return parse_overrides(text, f"{CALENDAR_FILE_SETTING}={str(path)!r}")
