"""The listening-akimat ranking and KPIs, from the appeals projection."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from streams import settings
from streams.domain import bounds

from .clickhouse import GROUPABLE_COLUMNS, run_query

GROUPINGS = GROUPABLE_COLUMNS
FIELDS = ("key", "filed", "answered", "response_rate", "on_time_rate", "rated", "dissatisfied_share",
          "escalated", "escalation_share", "overdue", "median_response_working_days")


def local_today() -> date:
    return (datetime.now(timezone.utc) + timedelta(hours=settings.LOCAL_UTC_OFFSET_HOURS)).date()


def _period(date_from: date | None, date_to: date | None, today: date | None) -> dict[str, Any]:
    return {"from": date_from or bounds.EARLIEST_DAY, "to": date_to or bounds.LATEST_DAY, "today": today or local_today()}


def ranking(by: str, date_from: date | None = None, date_to: date | None = None, today: date | None = None,
            db=None, region: str = "", regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """`regions` limits every figure to those regions (a regional monitor's scope); () = national."""
    if by not in GROUPINGS:
        raise ValueError(f"--by must be one of {', '.join(GROUPINGS)}; got {by!r}")
    parameters = {"by": by, "region": region, "regions": list(regions), **_period(date_from, date_to, today)}
    out = []
    for row in run_query("ranking", parameters, db):
        row = {name: row[name] for name in FIELDS}
        for name in ("filed", "answered", "rated", "escalated", "overdue"):
            row[name] = int(row[name])
        out.append(row)
    return out


def kpis(date_from: date | None = None, date_to: date | None = None, today: date | None = None, db=None,
         regions: tuple[str, ...] = ()) -> dict[str, Any]:
    [row] = run_query("kpis", {"regions": list(regions), **_period(date_from, date_to, today)}, db)
    return {k: int(v) if k in ("filed", "answered", "rated", "escalated", "overdue") else v for k, v in row.items()}


def trend(days: int = 60, date_to: date | None = None, db=None, regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    if date_to is None:
        [latest] = run_query("latest_day", {"regions": list(regions)}, db)
        date_to = latest["day"] if latest["appeals"] else local_today()
    return [{"day": r["day"].isoformat(), "filed": int(r["filed"]), "answered": int(r["answered"])}
            for r in run_query("trend", {"days": days, "to": date_to, "regions": list(regions)}, db)]


def escalations(limit: int = 20, db=None, regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return run_query("escalations", {"limit": limit, "regions": list(regions)}, db)


def overdue(limit: int = 20, today: date | None = None, db=None, regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return run_query("overdue", {"limit": limit, "today": today or local_today(), "regions": list(regions)}, db)
