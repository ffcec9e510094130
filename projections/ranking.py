"""The listening-akimat ranking and KPIs as they stood at the end of a Kazakh legal day, from the appeals' versions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from streams.domain import bounds
from streams.domain.localtime import local_today as local_day

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


def trend(days: int = 60, date_to: date | None = None, db=None, regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Appeals received and first answered by the receiving body, per day."""
    if date_to is None:
        [latest] = run_query("latest_day", {"regions": list(regions)}, db)
        date_to = latest["day"] if latest["appeals"] else local_today()
    return [{"day": r["day"].isoformat(), "filed": int(r["filed"]), "answered": int(r["answered"])}
            for r in run_query("trend", {"days": days, "to": date_to, "regions": list(regions)}, db)]


def escalations(limit: int = 20, db=None, regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return run_query("escalations", {"limit": limit, "regions": list(regions)}, db)


def overdue(limit: int = 20, today: date | None = None, db=None, regions: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The appeals overdue at the end of `today` (default: today in Kazakhstan), longest overdue first."""
    return run_query("overdue", {"limit": limit, "today": today or local_today(), "regions": list(regions)}, db)
