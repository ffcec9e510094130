"""Decoded Avro records as JSON-ready values (times ISO 8601 UTC, dates YYYY-MM-DD, bytes as text)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

_CONVERTED = (datetime, date, uuid.UUID, bytes)


def json_default(value: Any) -> Any:
    """`default=` for json.dumps and orjson: the scalar conversions of `jsonable`, one value at a time."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, _CONVERTED):
        return json_default(value)
    return value
