"""The listening-akimat ranking and KPIs as they stood at the end of a Kazakh legal day, from the appeals' versions."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from streams.domain import bounds
from streams.domain.localtime import local_date, local_today as local_day

from .clickhouse import run_query

# Whose handling each grouping counts (README: the ranking's figures): the receiving bodies', grouped
# by a column, or the centre's, of the appeals escalated to it, one row per region.
GROUPINGS = ("region", "body", "category", "centre")
STAGE_OF = {"region": "body", "body": "body", "category": "body", "centre": "centre"}
COLUMN_OF = {"region": "region", "body": "body", "category": "category", "centre": "region"}
FIELDS = ("key", "filed", "answered", "response_rate", "response_rate_due", "on_time_rate", "rated", "dissatisfied_share",
          "escalated", "escalation_share", "escalated_by_citizen", "escalated_by_system", "overdue", "late_notices",
          "reopened", "median_response_working_days")
COUNTS = ("filed", "answered", "rated", "escalated", "escalated_by_citizen", "escalated_by_system", "overdue",
          "late_notices", "reopened")
TREND_BUCKETS = ("", "day", "week")


def local_today(now: datetime | None = None) -> date:
    """Today's legal date in Kazakhstan (the national zone, Asia/Almaty, from the tzdata package), not
    the server's: every "today" of a figure is this day unless the caller names one."""
    return local_day(None, now or datetime.now(timezone.utc))


def _period(date_from: date | None, date_to: date | None, today: date | None) -> dict[str, Any]:
    return {"from": date_from or bounds.EARLIEST_DAY, "to": date_to or bounds.LATEST_DAY, "today": today or local_today()}


def _counted(row: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) if k in COUNTS else v for k, v in row.items()}


def ranking(by: str, date_from: date | None = None, date_to: date | None = None, today: date | None = None,
            db=None, region: str = "", regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The ranking as it stood at the end of `today` (default: today in Kazakhstan). by=region|body|category:
    the receiving bodies' handling of the appeals received in [from, to]; by=centre: the centre's handling of
    the appeals escalated to it in [from, to], by region. `regions` limits every figure to those regions (a
    regional monitor's scope); () = national."""
    if by not in GROUPINGS:
        raise ValueError(f"--by must be one of {', '.join(GROUPINGS)}; got {by!r}")
    parameters = {"by": COLUMN_OF[by], "stage": STAGE_OF[by], "region": region, "regions": list(regions),
                  **_period(date_from, date_to, today)}
    return [_counted({name: row[name] for name in FIELDS}) for row in run_query("ranking", parameters, db)]


def kpis(date_from: date | None = None, date_to: date | None = None, today: date | None = None, db=None,
         regions: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ranking's figures of the receiving bodies' handling, without grouping, at the end of `today`."""
    [row] = run_query("kpis", {"regions": list(regions), **_period(date_from, date_to, today)}, db)
    return _counted(row)


def trend(date_from: date | None = None, date_to: date | None = None, bucket: str = "", db=None,
          regions: tuple[str, ...] = (), days: int | None = None) -> list[dict[str, Any]]:
    """Appeals received and first answered by the receiving body in [from, to], per day or per week (Monday to
    Sunday, the first and last clipped to the period), every bucket of the period present, empty ones as 0.

    `to` is no later than today or the last day of receipt, whichever is later (its default: that day with a
    `from`, else the last day of receipt, or today without data). Default `from`: `days` days before `to`
    (the old window: days + 1 points), or without `days` the first day of receipt (all history).
    bucket "" picks by length: days up to 92 days, weeks beyond. Each point: day (its first day), until (its
    last), filed, answered."""
    if bucket not in TREND_BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(b for b in TREND_BUCKETS if b)}; got {bucket!r}")
    [span] = run_query("latest_day", {"regions": list(regions)}, db)
    first, last = (span["first_day"], span["day"]) if span["appeals"] else (None, None)
    latest = max(last or bounds.EARLIEST_DAY, local_today())
    date_to = min(date_to or (latest if date_from else last or local_today()), latest)
    if date_from is None:
        date_from = date_to - timedelta(days=days) if days is not None else first or date_to
    if date_from > date_to:
        return []
    bucket = bucket or ("day" if (date_to - date_from).days < 92 else "week")
    counts = {r["day"]: (int(r["filed"]), int(r["answered"]))
              for r in run_query("trend", {"from": date_from, "to": date_to, "regions": list(regions)}, db)}
    points: list[dict[str, Any]] = []
    day = date_from
    while day <= date_to:
        until = min(date_to, day + timedelta(days=0 if bucket == "day" else 6 - day.weekday()))
        inside = [counts.get(day + timedelta(days=i), (0, 0)) for i in range((until - day).days + 1)]
        points.append({"day": day.isoformat(), "until": until.isoformat(),
                       "filed": sum(f for f, _ in inside), "answered": sum(a for _, a in inside)})
        day = until + timedelta(days=1)
    return points


def escalations(limit: int = 20, db=None, regions: tuple[str, ...] = (), date_from: date | None = None,
                date_to: date | None = None) -> list[dict[str, Any]]:
    """The latest escalations to the centre of the appeals received in [from, to], newest first, each with
    `occurred_on`: the legal date of the escalation on its region's clock."""
    rows = run_query("escalations", {"limit": limit, "regions": list(regions), "from": date_from or bounds.EARLIEST_DAY,
                                     "to": date_to or bounds.LATEST_DAY}, db)
    return [{**row, "occurred_on": local_date(row["region"], _utc(row["occurred_at"]))} for row in rows]


def _utc(instant: datetime) -> datetime:
    """A DateTime64(…, 'UTC') column's value: the engine may give it without its zone."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=timezone.utc)


def overdue(limit: int = 20, today: date | None = None, db=None, regions: tuple[str, ...] = (),
            date_from: date | None = None, date_to: date | None = None) -> list[dict[str, Any]]:
    """The appeals received in [from, to] and overdue at the end of `today` (default: today in Kazakhstan),
    longest overdue first."""
    return run_query("overdue", {"limit": limit, "regions": list(regions), **_period(date_from, date_to, today)}, db)
