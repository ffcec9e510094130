"""The listening-akimat ranking and KPIs, from the appeals projection."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from streams import settings

from .clickhouse import run_query

GROUPINGS = ("region", "body", "category")
FIELDS = ("key", "filed", "answered", "response_rate", "on_time_rate", "rated", "dissatisfied_share",
          "escalated", "escalation_share", "overdue", "median_response_working_days")


def local_today() -> date:
    return (datetime.now(timezone.utc) + timedelta(hours=settings.LOCAL_UTC_OFFSET_HOURS)).date()


def ranking(by: str, date_from: date | None = None, date_to: date | None = None, today: date | None = None,
            db=None) -> list[dict[str, Any]]:
    if by not in GROUPINGS:
        raise ValueError(f"--by must be one of {', '.join(GROUPINGS)}; got {by!r}")
    parameters = {"by": by, "from": date_from or date(1970, 1, 1), "to": date_to or date(2149, 6, 1),
                  "today": today or local_today()}
    out = []
    for row in run_query("ranking", parameters, db):
        row = {name: row[name] for name in FIELDS}
        for name in ("filed", "answered", "rated", "escalated", "overdue"):
            row[name] = int(row[name])
        out.append(row)
    return out
