"""Rows for ClickHouse from ledger events and appeal states (personal data removed: domain/privacy.py)."""

from __future__ import annotations

import operator
from datetime import datetime, timezone
from typing import Any

import orjson

from streams.domain.appeal import AppealState
from streams.domain.calendar import working_days_between
from streams.domain.localtime import local_date
from streams.avro.jsonable import json_default
from streams.domain.privacy import citizen_ref_of, public_payload

EVENT_COLUMNS = ["appeal_id", "sequence", "event_id", "event_type", "command_id", "occurred_at", "recorded_at",
                 "actor_role", "actor_id", "region", "body", "payload", "citizen_ref", "prev_hash", "hash",
                 "topic", "partition", "offset", "ingested_at", "imported_by"]

STATE_FIELDS = [name for name in AppealState.__dataclass_fields__ if name != "command_ids"]
STATE_COLUMNS = STATE_FIELDS + ["citizen_ref", "response_working_days", "centre_response_working_days"]
# A version (table appeal_versions) is a state row and the day from which it holds.
VERSION_COLUMNS = STATE_COLUMNS + ["valid_on"]
_NOTICES = STATE_FIELDS.index("notices_owed")


# Sorted keys; times and dates go through json_default (UTC, `Z`), as everywhere else in tyndau.
_PAYLOAD_JSON = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def event_row(event: dict[str, Any], topic: str, partition: int, offset: int, ingested_at: datetime, key: str) -> list:
    payload = orjson.dumps(public_payload(event), option=_PAYLOAD_JSON, default=json_default).decode()
    return [event["appeal_id"], event["sequence"], str(event["event_id"]), event["event_type"], event["command_id"],
            event["occurred_at"], event["recorded_at"], event["actor"]["role"], event["actor"]["id"], event["region"],
            event["body"], payload, citizen_ref_of(event, key), event["prev_hash"], event["hash"], topic, partition,
            offset, ingested_at, event.get("imported_by")]


def response_working_days(state: AppealState) -> int | None:
    """Working days from receipt to the receiving body's first answer (before any escalation), both
    local days: the body's own response time, which a reopening or the centre's answer leaves alone."""
    if state.body_answered_on is None:
        return None
    return working_days_between(state.received_on, state.body_answered_on)


def centre_response_working_days(state: AppealState) -> int | None:
    """Working days from the centre's receipt (the first escalation) to the first answer of its handling."""
    if state.centre_answered_on is None or state.centre_received_on is None:
        return None
    return working_days_between(state.centre_received_on, state.centre_answered_on)


_state_values = operator.attrgetter(*STATE_FIELDS)


def state_row(state: AppealState, citizen_ref: str) -> tuple:
    """The state's row of `appeals` (columns STATE_COLUMNS); the response times are computed from it.

    Notices owed go out as a list of tuples, the engine's Array(Tuple(...)); none owed (most states)
    stays the state's empty tuple, which the driver writes as the same empty Array, and saves a copy
    of the row on every event."""
    values = _state_values(state)
    if values[_NOTICES]:
        values = values[:_NOTICES] + (list(values[_NOTICES]),) + values[_NOTICES + 1:]
    return values + (citizen_ref, response_working_days(state), centre_response_working_days(state))


def version_row(state: AppealState, citizen_ref: str) -> tuple:
    """The state's row of `appeal_versions` (columns VERSION_COLUMNS): its state row, then valid_on."""
    return state_row(state, citizen_ref) + (valid_on(state),)


def valid_on(state: AppealState) -> Any:
    """The region's legal local day from which the state holds: its last_on (the day of the latest
    business time so far). A state folded onto a row written before last_on existed may lack it:
    the same day is then worked out from last_at."""
    if state.last_on is not None:
        return state.last_on
    return local_date(state.region, state.last_at) if state.last_at is not None else state.received_on


def _utc(value: Any) -> Any:
    """A time the driver hands back naive (its default, naive UTC) made aware again, as the fold has it."""
    return value.replace(tzinfo=timezone.utc) if isinstance(value, datetime) and value.tzinfo is None else value


def state_from_row(row: dict[str, Any]) -> tuple[AppealState, str]:
    """The AppealState a row of `appeals` holds (for the writer's cache) and its citizen pseudonym."""
    fields = {name: _utc(row[name]) for name in STATE_FIELDS}
    fields["notices_owed"] = tuple(tuple(n) for n in fields["notices_owed"] or ())
    return AppealState(**fields), row["citizen_ref"]
