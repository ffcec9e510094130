"""Working-day arithmetic against the `holidays` package's own KZ calendar."""

from __future__ import annotations

import random
from datetime import date, timedelta

import holidays

from streams.domain.calendar import add_working_days, working_days_between


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
