"""Rows for ClickHouse from ledger events and appeal states (personal data removed: domain/privacy.py)."""

from __future__ import annotations

import operator
from datetime import datetime, timezone
from typing import Any

import orjson

from streams.domain.appeal import AppealState
from streams.domain.calendar import working_days_between
from streams.avro.jsonable import json_default
from streams.domain.privacy import citizen_ref_of, public_payload

EVENT_COLUMNS = ["appeal_id", "sequence", "event_id", "event_type", "command_id", "occurred_at", "recorded_at",
                 "actor_role", "actor_id", "region", "body", "payload", "citizen_ref", "prev_hash", "hash",
                 "topic", "partition", "offset", "ingested_at", "imported_by"]

STATE_FIELDS = [name for name in AppealState.__dataclass_fields__ if name != "command_ids"]
STATE_COLUMNS = STATE_FIELDS + ["citizen_ref", "response_working_days"]


# Sorted keys; times and dates go through json_default (UTC, `Z`), as everywhere else in tyndau.
_PAYLOAD_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def event_row(event: dict[str, Any], topic: str, partition: int, offset: int, ingested_at: datetime, key: str) -> list:
    payload = orjson.dumps(public_payload(event), option=_PAYLOAD_JSON, default=json_default).decode()
    return [event["appeal_id"], event["sequence"], str(event["event_id"]), event["event_type"], event["command_id"],
            event["occurred_at"], event["recorded_at"], event["actor"]["role"], event["actor"]["id"], event["region"],
            event["body"], payload, citizen_ref_of(event, key), event["prev_hash"], event["hash"], topic, partition,
            offset, ingested_at, event.get("imported_by")]


def response_working_days(state: AppealState) -> int | None:
    """Working days from receipt to the (last) answer, both local days."""
    if state.answered_on is None:
        return None
    return working_days_between(state.received_on, state.answered_on)


_state_values = operator.attrgetter(*STATE_FIELDS)


def state_row(state: AppealState, citizen_ref: str, response_days: int | None) -> tuple:
    return _state_values(state) + (citizen_ref, response_days)


def _utc(value: Any) -> Any:
    """A time the driver hands back naive (its default, naive UTC) made aware again, as the fold has it."""
    return value.replace(tzinfo=timezone.utc) if isinstance(value, datetime) and value.tzinfo is None else value


def state_from_row(row: dict[str, Any]) -> tuple[AppealState, str, int | None]:
    fields = {name: _utc(row[name]) for name in STATE_FIELDS}
    return AppealState(**fields), row["citizen_ref"], row["response_working_days"]
