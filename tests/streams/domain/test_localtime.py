"""The local day of an instant in each region, from the IANA history in the tzdata package."""

from __future__ import annotations

import copy
import importlib.resources
import pickle
import zoneinfo
from datetime import date, datetime, timedelta, timezone

import pytest
import tzdata
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streams.domain import localtime
from streams.domain.localtime import (NATIONAL_ZONE, REGION_ZONES, day_end, day_start, local_date, local_now,
                                      local_today, tzdata_version, zone, zone_of)
from streams.domain.regions import REGIONS

UTC = timezone.utc
WESTERN = ("15", "23", "27", "47")   # Aktobe, Atyrau, West Kazakhstan, Mangystau


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_region_has_a_zone_and_every_zone_is_a_kazakh_zone_of_tzdata():
    """The tz project's zone1970.tab (shipped in the tzdata package) lists Kazakhstan's seven zones."""
    table = importlib.resources.files("tzdata.zoneinfo").joinpath("zone1970.tab").read_text(encoding="utf-8")
    kazakh = {fields[2] for fields in (line.split("\t") for line in table.splitlines() if not line.startswith("#"))
              if "KZ" in fields[0].split(",")}
    assert set(REGION_ZONES) == set(REGIONS)
    assert set(REGION_ZONES.values()) == kazakh
    assert NATIONAL_ZONE == REGION_ZONES["71"]      # the capital's zone


def test_the_zones_of_the_regions_the_tz_source_names():
    """The tz `asia` file: Asia/Qyzylorda is KZ-43, Asia/Qostanay KZ-39, Asia/Aqtobe KZ-15, Asia/Aqtau KZ-47,
    Asia/Atyrau KZ-23, Asia/Oral KZ-27, and Asia/Almaty every other region."""
    own = {"43": "Asia/Qyzylorda", "39": "Asia/Qostanay", "15": "Asia/Aqtobe", "47": "Asia/Aqtau", "23": "Asia/Atyrau",
           "27": "Asia/Oral"}
    assert REGION_ZONES == {code: own.get(code, "Asia/Almaty") for code in REGIONS}


def test_after_1_march_2024_almaty_is_on_utc_plus_5():
    """DOMAIN.md: since 1 March 2024 all of Kazakhstan is on UTC+5, so 19:30 UTC is already the next day."""
    assert local_date("75", utc(2024, 3, 4, 19, 30)) == date(2024, 3, 5)
    assert all(local_now(code, utc(2024, 6, 1)).utcoffset() == timedelta(hours=5) for code in REGIONS)


def test_the_offset_the_sender_wrote_does_not_decide_the_day():
    """DOMAIN.md: the day of an act is the region's local date at that instant, whatever offset the sender wrote."""
    sent = datetime.fromisoformat("2024-06-03T00:30+06:00")      # 18:30 UTC on 2 June
    assert local_date("71", sent) == date(2024, 6, 2)
    assert local_date("71", sent).isoweekday() == 7                 # a Sunday, not Monday's working day
    assert sent.date() == date(2024, 6, 3)                          # what reading the written date would have said


def test_before_1_march_2024_almaty_was_an_hour_ahead_of_aktobe():
    """DOMAIN.md: before 1 March 2024 Almaty was on UTC+6 and Aktobe on UTC+5."""
    assert local_date("75", utc(2024, 2, 28, 18, 30)) == date(2024, 2, 29)
    assert local_date("15", utc(2024, 2, 28, 18, 30)) == date(2024, 2, 28)


def test_the_change_at_midnight_on_1_march_2024_gave_almaty_a_25_hour_29_february():
    """The tz `asia` file: Asia/Almaty was +06 until 2024 Mar 1 0:00 local, then +05. At that midnight the clocks went
    back to 23:00, so 18:30 UTC on 29 February (which the brief took for 1 March in Almaty) is still 29 February."""
    assert local_date("75", utc(2024, 2, 29, 17, 30)) == date(2024, 2, 29)       # 23:30 at +06
    assert local_date("75", utc(2024, 2, 29, 18, 30)) == date(2024, 2, 29)       # 23:30 again, at +05
    assert local_date("15", utc(2024, 2, 29, 18, 30)) == date(2024, 2, 29)
    # Elapsed time in UTC: datetimes of one zone subtract by wall clock.
    day = day_end("75", date(2024, 2, 29)).astimezone(UTC) - day_start("75", date(2024, 2, 29)).astimezone(UTC)
    assert day == timedelta(hours=25)


def test_the_western_regions_and_kyzylorda_were_on_utc_plus_5_and_kostanay_on_utc_plus_6_in_2021():
    """DOMAIN.md: Aktobe, Atyrau, Mangystau, West Kazakhstan and (from 21 December 2018) Kyzylorda on UTC+5;
    most regions, Kostanay included, on UTC+6."""
    for month in (1, 7):
        instant = utc(2021, month, 15, 12)
        assert all(local_now(code, instant).utcoffset() == timedelta(hours=5) for code in (*WESTERN, "43"))
        assert local_now("39", instant).utcoffset() == timedelta(hours=6)
        assert local_now("71", instant).utcoffset() == timedelta(hours=6)


def test_kyzylorda_moved_to_utc_plus_5_on_21_december_2018():
    """DOMAIN.md: Kyzylorda on UTC+5 from 21 December 2018 (the tz `asia` file: +06 until 2018 Dec 21 0:00)."""
    assert local_now("43", utc(2018, 12, 20, 12)).utcoffset() == timedelta(hours=6)
    assert local_now("43", utc(2018, 12, 21, 12)).utcoffset() == timedelta(hours=5)


def test_day_start_of_1_march_2024_in_almaty():
    """The first 1 March midnight in Almaty came at +05: 19:00 UTC on 29 February."""
    start = day_start("75", date(2024, 3, 1))
    assert start == utc(2024, 2, 29, 19) and start.utcoffset() == timedelta(hours=5)
    assert start.tzinfo is zone("Asia/Almaty")
    assert local_date("75", start) == date(2024, 3, 1)
    assert local_date("75", start.astimezone(UTC) - timedelta(microseconds=1)) == date(2024, 2, 29)


def test_a_day_whose_midnight_was_skipped_starts_at_the_change():
    """The tz `asia` file: Asia/Almaty kept Soviet summer time (RussiaAsia: 1 April 1981, 00:00 -> 01:00), so local
    midnight on 1 April 1981 never showed on a clock; the day began at the change, 18:00 UTC on 31 March."""
    start = day_start("75", date(1981, 4, 1))
    assert start == utc(1981, 3, 31, 18)
    assert (start.hour, start.utcoffset()) == (1, timedelta(hours=7))      # the first wall time the clocks showed
    assert local_date("75", start) == date(1981, 4, 1)
    assert local_date("75", start.astimezone(UTC) - timedelta(microseconds=1)) == date(1981, 3, 31)


def test_an_unknown_or_missing_region_is_read_in_the_national_zone():
    assert zone_of("99") is zone_of(None) is zone_of(75) is zone(NATIONAL_ZONE)
    assert local_today(None, utc(2024, 3, 4, 19, 30)) == date(2024, 3, 5)
    assert local_today("99", utc(2024, 3, 4, 18, 30)) == date(2024, 3, 4)


def test_a_naive_instant_is_refused_with_what_to_give():
    with pytest.raises(ValueError, match="aware instant"):
        local_date("75", datetime(2024, 3, 4, 19, 30))


def test_the_zones_load_from_the_tzdata_package_not_the_hosts_files(monkeypatch):
    """DOMAIN.md: use zoneinfo with the tzdata package. With no system time-zone path at all, the zones still load,
    and they are read through the package's resources, not ZoneInfo's own search."""
    asked = []
    files = importlib.resources.files

    def spy(package):
        asked.append(package)
        return files(package)

    monkeypatch.setattr(localtime.resources, "files", spy)
    zoneinfo.reset_tzpath(to=[])
    try:
        almaty = zone.__wrapped__("Asia/Almaty")     # the loader itself, past the cache (which stays as it was)
        assert asked == ["tzdata.zoneinfo"]
        assert almaty is not zoneinfo.ZoneInfo("Asia/Almaty")             # from_file, not ZoneInfo's own search
        assert utc(2024, 3, 4, 19, 30).astimezone(almaty).date() == date(2024, 3, 5)
    finally:
        zoneinfo.reset_tzpath()
    assert tzdata_version() == tzdata.IANA_VERSION


def test_a_name_that_is_no_zone_of_the_package_is_refused():
    for name in ("Asia/Nowhere", "../zoneinfo/Asia/Almaty", "", "Asia//Almaty", "Asia", "zone1970.tab", "__init__.py"):
        with pytest.raises(zoneinfo.ZoneInfoNotFoundError):
            zone(name)


def test_a_local_datetime_survives_pickling_and_copying_as_the_same_zone():
    """ZoneInfo.from_file zones refuse to pickle; ours travel by name and come back as the one cached zone."""
    start = day_start("15", date(2024, 3, 1))
    assert pickle.loads(pickle.dumps(start)).tzinfo is start.tzinfo is copy.deepcopy(start).tzinfo
    assert pickle.loads(pickle.dumps(start)) == start


instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.just(UTC))


@settings(max_examples=500, deadline=None)
@given(instants, st.sampled_from(sorted(REGIONS) + ["99"]))
@example(utc(2024, 2, 29, 17, 30), "75")    # the repeated hour of 29 February 2024, first at +06 ...
@example(utc(2024, 2, 29, 18, 30), "75")    # ... then at +05
@example(utc(2024, 2, 29, 19), "39")
@example(utc(2018, 12, 20, 18, 30), "43")
def test_every_instant_lies_within_its_own_local_day(instant, region):
    day = local_date(region, instant)
    assert day_start(region, day) <= instant < day_start(region, day + timedelta(days=1))
    assert day_end(region, day) == day_start(region, day + timedelta(days=1))
