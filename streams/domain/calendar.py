"""Working days in Kazakhstan and the deadline rules of the Administrative Procedural Code."""

from datetime import date, timedelta
from functools import lru_cache

import holidays

ANSWER_TERM_WORKING_DAYS = 15   # Art. 76: 15 working days from receipt
FORWARD_TERM_WORKING_DAYS = 3   # Art. 65: forward to the competent body within 3 working days
MAX_EXTENSION_MONTHS = 2        # Art. 76: extension to no more than two months in total


@lru_cache(maxsize=1)
def _kazakhstan() -> holidays.HolidayBase:
    # Years are filled in lazily by the package as dates are asked about.
    return holidays.country_holidays("KZ")


def is_working_day(day: date) -> bool:
    return _kazakhstan().is_working_day(day)


@lru_cache(maxsize=65536)
def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (the start day itself is not counted)."""
    return _kazakhstan().get_nth_working_day(start, n)


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
