"""What every HTTP view shares: bounded JSON bodies, checked query parameters, and JSON errors.

A client's mistake is a 4xx whose JSON body says what is wrong (400 bad syntax or parameter,
413 too large, 415 not JSON); anything else is a 500 that carries a request id and no
internals, with the details in the worker's log (never the request's content).
"""

from __future__ import annotations

import logging
import math
import traceback
import uuid
from datetime import date
from typing import Any

import orjson
from faust.web import Request, View

from ..domain import bounds

log = logging.getLogger(__name__)


class ClientError(Exception):
    """A request the client must change: answered with `status` and {"error": message}."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class JsonView(View):
    """A view whose every failure is answered in JSON: ClientError as its status, anything else 500."""

    async def dispatch(self, request: Any) -> Any:
        try:
            return await super().dispatch(request)
        except ClientError as error:
            return self.json({"error": error.message, **error.extra}, status=error.status)
        except Exception as error:  # a bug or an outage, not the client's doing
            request_id = str(uuid.uuid4())
            log.error("HTTP %s %s failed (request %s): %s\n%s", request.method, request.path, request_id,
                      type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
            return self.json({"error": "internal error; quote the request id when reporting it",
                              "request_id": request_id}, status=500)


async def read_body(request: Request, limit: int = bounds.MAX_COMMAND_BYTES) -> bytes:
    """The request body, at most `limit` bytes (413 beyond), sent as application/json (415 otherwise)."""
    content_type = request.headers.get("Content-Type", "")
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        raise ClientError(415, f"send the body as Content-Type: application/json (got {bounds.shown(content_type or 'none')})")
    charset = params.strip().lower()
    if charset and charset.replace(" ", "") not in ("charset=utf-8", "charset=\"utf-8\""):
        raise ClientError(415, "a JSON body is UTF-8; drop the charset parameter or give charset=utf-8")
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ClientError(413, f"the body is {declared} bytes; at most {limit} are accepted", limit=limit)
    chunks, size = [], 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ClientError(413, f"the body is over {limit} bytes; at most {limit} are accepted", limit=limit)
        chunks.append(chunk)


def parse_json(body: bytes) -> Any:
    """The JSON value of a body; 400 naming the problem (bad syntax, invalid UTF-8, nesting over 1024)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ClientError(400, f"the body is not JSON: {str(error)[:200]}", reason="malformed") from None


def query_date(request: Request, name: str) -> date | None:
    raw = request.query.get(name)
    if not raw:
        return None
    day = bounds.parse_day(raw)
    if day is None or not bounds.day_in_bounds(day):
        raise ClientError(400, f"{name} must be a date YYYY-MM-DD between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}; "
                               f"got {bounds.shown(raw)}")
    return day


def query_int(request: Request, name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if len(raw) <= 12 else None
    except ValueError:
        value = None
    if value is None or not lowest <= value <= highest:
        raise ClientError(400, f"{name} must be a whole number from {lowest} to {highest}; got {bounds.shown(raw)}")
    return value


def query_seconds(request: Request, name: str, default: float, highest: float) -> float:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw) if len(raw) <= 12 else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ClientError(400, f"{name} must be a number of seconds from 0 to {highest:g}; got {bounds.shown(raw)}")
    return min(value, highest)


def identifier(value: str, what: str) -> str:
    """A path or query identifier (appeal id, command id): printable text of at most 128 characters."""
    problem = bounds.text_problem(value, bounds.MAX_ID_CHARS, free_text=False)
    if problem:
        raise ClientError(400, f"{what} must be {problem}")
    return value
