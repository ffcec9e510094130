"""The bounds every command is held to at the boundary: sizes, lengths, characters and time range.

Each bound is documented in the README's command format; the parser, the ledger, the HTTP API
and the OpenAPI document read them from here.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

MAX_COMMAND_BYTES = 64 * 1024       # a whole command message (HTTP answers 413, the ledger `too_large`)
MAX_WAIT_SECONDS = 60.0             # the longest POST /v1/commands keeps a caller waiting for the outcome
COMMAND_PREFIX_BYTES = 1024         # what a `too_large` rejection keeps of the command
MAX_ID_CHARS = 128                  # ids (command_id, appeal_id, body, actor id) and codes (region, category, …)
MAX_NAME_CHARS = 256                # the citizen's name and contact
MAX_TEXT_CHARS = 10_000             # free text: the appeal, answers, comments, reasons
MAX_DETAIL_CHARS = 1000             # a rejection's explanation
MAX_SHOWN_CHARS = 60                # how much of a bad value an explanation quotes

# Business times and dates: ClickHouse's Date32 and every downstream reader hold them comfortably.
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2149, 12, 31)
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)
TIME_LIMIT = datetime(2150, 1, 1, tzinfo=timezone.utc)     # exclusive
MAX_UTC_OFFSET = timedelta(hours=14)                       # the widest offset any place on Earth uses
MAX_EVENTS_PER_APPEAL = 10_000                             # an appeal's chain; its counters fit ClickHouse's UInt16

# Control characters free text may not hold (tab, line feed and carriage return are fine).
_FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def encodable(value: str) -> bool:
    """Valid Unicode: no lone surrogate, so it can be written as UTF-8 (Avro, JSON, ClickHouse)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text_problem(value: str, limit: int, free_text: bool) -> str | None:
    """What is wrong with a string field, or None. Identifiers and codes must be printable text."""
    if len(value) > limit:
        return f"at most {limit} characters (got {len(value)})"
    if not encodable(value):
        return "valid Unicode (it holds a lone surrogate)"
    if not value.strip():
        return "a non-empty string"
    if free_text:
        if _FORBIDDEN_IN_TEXT.search(value):
            return "text without control characters (tab and line breaks are fine)"
    elif not value.isprintable():
        return "printable text (no control characters, line breaks or invisible format characters)"
    return None


# Exactly YYYY-MM-DD: date.fromisoformat also takes 20210420 and 2021-W16-1, which no document promises.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: object) -> date | None:
    """A YYYY-MM-DD date from a string, or None for anything else (the range is checked apart)."""
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def day_in_bounds(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time with a UTC offset from a string, or None for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def time_problem(moment: datetime) -> str | None:
    """Why a time is outside the bounds (its offset, or its day in UTC or where it was given), or None."""
    if abs(moment.utcoffset()) > MAX_UTC_OFFSET:
        return "has a UTC offset beyond ±14:00"
    if not (EARLIEST_TIME <= moment < TIME_LIMIT and day_in_bounds(moment.date())):
        return f"must lie between {EARLIEST_DAY} and {LATEST_DAY} (UTC)"
    return None


def shown(value: object) -> str:
    """A bad value quoted in an explanation: short, and always valid Unicode."""
    text = repr(value)
    if len(text) > MAX_SHOWN_CHARS:
        text = text[:MAX_SHOWN_CHARS] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
