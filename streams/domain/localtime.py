"""The legal local day of an instant in each region of Kazakhstan, from the IANA time-zone history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzdata

# First-level KATO code -> IANA zone. The tz project's `asia` file names the ISO 3166-2 codes each
# Kazakh zone covers (ISO 3166-2:KZ uses the KATO numbers since 2022); zone1970.tab lists the zones.
REGION_ZONES: dict[str, str] = {
    "10": "Asia/Almaty",      # Abai
    "11": "Asia/Almaty",      # Akmola
    "15": "Asia/Aqtobe",      # Aktobe
    "19": "Asia/Almaty",      # Almaty Region
    "23": "Asia/Atyrau",      # Atyrau
    "27": "Asia/Oral",        # West Kazakhstan
    "31": "Asia/Almaty",      # Zhambyl
    "33": "Asia/Almaty",      # Zhetisu
    "35": "Asia/Almaty",      # Karaganda
    "39": "Asia/Qostanay",    # Kostanay: UTC+6 until 1 March 2024, like Almaty, but a history of its own
    "43": "Asia/Qyzylorda",   # Kyzylorda: UTC+5 since 21 December 2018
    "47": "Asia/Aqtau",       # Mangystau
    "55": "Asia/Almaty",      # Pavlodar
    "59": "Asia/Almaty",      # North Kazakhstan
    "61": "Asia/Almaty",      # Turkistan
    "62": "Asia/Almaty",      # Ulytau
    "63": "Asia/Almaty",      # East Kazakhstan
    "71": "Asia/Almaty",      # Astana
    "75": "Asia/Almaty",      # Almaty city
    "79": "Asia/Almaty",      # Shymkent
}
# The capital's zone: what "today" means for national figures and for an appeal with no known region.
NATIONAL_ZONE = "Asia/Almaty"


class _PackageZone(ZoneInfo):
    """A zone read from the tzdata package that pickles and deep-copies by its name.

    ZoneInfo.from_file zones refuse to pickle (and so to deepcopy), which would break any datetime
    that carries one into a copied or serialised state; by name, it comes back as the same cached zone."""

    def __reduce__(self):
        return zone, (self.key,)


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name` as the pinned tzdata package has it (ZoneInfoNotFoundError if it has none).

    This is the domain's one loader. It reads the package, never the host's /usr/share/zoneinfo, so every
    worker, replay and CI run applies the same history whatever the machine has installed. Cached, so one
    zone is one object: datetimes that share it compare and subtract by wall clock, as zoneinfo intends."""
    parts = name.split("/") if isinstance(name, str) else []
    # Only plain path segments: a name is never a way out of the package's folder.
    if not parts or not all(part and part not in (".", "..") and "\\" not in part for part in parts):
        raise ZoneInfoNotFoundError(f"{name!r} is not an IANA zone name such as {NATIONAL_ZONE!r}")
    resource = resources.files("tzdata.zoneinfo").joinpath(*parts)
    if not resource.is_file():
        raise ZoneInfoNotFoundError(f"no time zone {name!r} in tzdata {tzdata.IANA_VERSION}")
    with resource.open("rb") as fobj:
        try:
            return _PackageZone.from_file(fobj, key=name)
        except ValueError:   # a file of the package that is no zone, e.g. zone1970.tab
            raise ZoneInfoNotFoundError(f"{name!r} is not a time zone of tzdata {tzdata.IANA_VERSION}") from None


def zone_of(region: str | None) -> ZoneInfo:
    """The region's zone; an unknown or missing region gets the national zone."""
    return zone(REGION_ZONES.get(region, NATIONAL_ZONE) if isinstance(region, str) else NATIONAL_ZONE)


def _aware(instant: datetime) -> datetime:
    # A naive datetime would be read in the host's own zone: a hidden clock setting, not an instant.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no UTC offset; give an aware instant, e.g. with +05:00")
    return instant


def local_now(region: str | None, now: datetime) -> datetime:
    """The aware instant `now` on the region's wall clock (the domain has no clock: `now` is given)."""
    return _aware(now).astimezone(zone_of(region))


def local_date(region: str | None, instant: datetime) -> date:
    """The region's calendar date at `instant`, whatever offset the instant was written in."""
    return local_now(region, instant).date()


def local_today(region: str | None, now: datetime) -> date:
    return local_date(region, now)


def day_start(region: str | None, day: date) -> datetime:
    """The first instant of the region's local `day`, as an aware datetime in the region's zone.

    Local midnight with fold=0 (where midnight comes twice, the first). Where a change of offset skips
    midnight (a gap), zoneinfo reads the skipped wall time with the earlier offset, which is the instant
    of the change, the day's first real moment; it is returned as the wall time after the change (01:00),
    since Python never finds a time in a gap equal to any instant of another zone.

    Datetimes of one zone compare and subtract by wall clock: for elapsed time across a change of
    offset, convert both to UTC first."""
    first = datetime.combine(day, time(0), tzinfo=zone_of(region))
    return first.astimezone(timezone.utc).astimezone(first.tzinfo)


def day_end(region: str | None, day: date) -> datetime:
    """The first instant of the next local day: `day` is [day_start, day_end)."""
    return day_start(region, day + timedelta(days=1))


def tzdata_version() -> str:
    """The IANA release the zones come from, e.g. '2026f' (for the README and health reports)."""
    return tzdata.IANA_VERSION
