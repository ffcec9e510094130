"""What the command groups share: where the worker's HTTP API is by default, and the deployment's calendar."""

from __future__ import annotations

from .. import settings

API_DEFAULT = f"http://{settings.HTTP_HOST}:{settings.HTTP_PORT}"


def use_calendar_file() -> None:
    """The year's transfer decree over the `holidays` calendar (TYNDAU_CALENDAR_FILE), installed before any command
    or the worker counts a working day, so the ledger, the projections and every tool count the same days."""
    if not settings.CALENDAR_FILE:
        return
    from ..domain import calendar

    try:
        calendar.install(calendar.load_overrides(settings.CALENDAR_FILE))
    except calendar.CalendarFileError as error:
        raise SystemExit(f"tyndau: {error}") from None
