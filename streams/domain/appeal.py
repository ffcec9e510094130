"""The appeal: its state, which command is legal in which state, and how each event changes it.

`decide` turns a command into the next event (or a CommandError); `evolve` applies an event
to the state. Both are pure: times and ids are parameters, so the ledger, the auditors' replay
and the tests fold events with the very same code.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from . import calendar
from .bounds import MAX_EVENTS_PER_APPEAL
from .chain import GENESIS_HASH
from .commands import Command, CommandError
from .events import EVENT_OF_COMMAND

EVENT_ID_NAMESPACE = uuid.UUID("6f1c2f0e-3b0a-5d8e-9a57-7479e1d4a001")

OPEN, ESCALATED, ANSWERED, WITHDRAWN = "open", "escalated", "answered", "withdrawn"
STATUSES = (OPEN, ESCALATED, ANSWERED, WITHDRAWN)

# Command type -> the statuses in which it is legal (its event type: domain/events.py). `file` needs no appeal.
LEGAL_IN: dict[str, tuple[str, ...]] = {
    "file": (),
    "route": (OPEN, ESCALATED),
    "extend": (OPEN, ESCALATED),
    "answer": (OPEN, ESCALATED),
    "escalate": (OPEN, ANSWERED),
    "rate": (ANSWERED,),
    "withdraw": (OPEN, ESCALATED),
    "reopen": (ANSWERED, WITHDRAWN),
    "overdue": (OPEN, ESCALATED),
}


@dataclass(frozen=True)
class AppealState:
    appeal_id: str
    sequence: int
    last_hash: str
    status: str
    region: str
    body: str
    category: str
    channel: str
    filed_at: datetime
    received_on: date
    due_on: date
    forward_by: date
    extended: bool = False
    routed: int = 0
    answered_at: datetime | None = None
    answered_on: date | None = None     # local day of the (last) answer
    outcome: str | None = None
    on_time: bool | None = None
    overdue_on: date | None = None      # the deadline already reported overdue
    escalations: int = 0
    rated: bool = False                 # the current answer has been rated
    ratings: int = 0                    # ratings ever given; satisfied/score are the last one's
    satisfied: bool | None = None
    score: int | None = None
    reopened: int = 0
    withdrawn_at: datetime | None = None
    last_at: datetime | None = None
    imported_by: str | None = None      # the importer that moved the appeal in (its filing), if one did
    command_ids: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "command_ids"}
        return out


def event_id_for(appeal_id: str, command_id: str) -> str:
    """Deterministic, so a command processed twice would carry the same event id. "appeal/command"
    names one pair only when neither holds a "/"; otherwise the pair is named as a JSON array,
    which no other pair shares (and which never has the first form)."""
    if "/" in appeal_id or "/" in command_id:
        return str(uuid.uuid5(EVENT_ID_NAMESPACE, json.dumps([appeal_id, command_id], ensure_ascii=False)))
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{appeal_id}/{command_id}"))


def default_actor(command: Command, state: AppealState | None) -> tuple[str, str]:
    if command.actor:
        return command.actor
    kind = command.type
    if kind in ("file", "rate", "withdraw"):
        return ("citizen", "applicant")
    if kind == "escalate":
        by = command.data["by"]
        return (by, {"citizen": "applicant", "system": "tyndau"}.get(by, "monitor"))
    if kind == "overdue":
        return ("system", "tyndau")
    return ("body", state.body if state else command.data.get("body", ""))


def decide(state: AppealState | None, command: Command, recorded_at: datetime,
           actor: dict[str, Any] | None = None, imported_by: str | None = None) -> dict[str, Any]:
    """The event this command appends to the appeal, without its hash; CommandError if none.

    `actor` is who the event names (the authenticated principal, see principals.actor_record);
    without one, the actor the command states or the default of its type (imported histories).
    `imported_by` names the importer that moved the event in."""
    if state is not None and command.command_id in state.command_ids:
        raise CommandError("duplicate_command", f"command {command.command_id} was already appended to appeal {state.appeal_id}")
    event_type, allowed = EVENT_OF_COMMAND[command.type], LEGAL_IN[command.type]
    if state is None:
        if command.type != "file":
            raise CommandError("unknown_appeal", f"appeal {command.appeal_id} has not been filed; file it first")
        payload, region, body = _filed_payload(command), command.data["region"], command.data["body"]
        sequence, prev_hash = 1, GENESIS_HASH
    else:
        if command.type == "file":
            raise CommandError("appeal_exists", f"appeal {command.appeal_id} was already filed; use a new appeal_id")
        if state.sequence >= MAX_EVENTS_PER_APPEAL:
            raise CommandError("too_many_events", f"appeal {command.appeal_id} has {state.sequence} events, the most one appeal may have")
        if state.status not in allowed:
            raise CommandError(
                "invalid_transition",
                f"cannot {command.type} an appeal that is {state.status}; allowed when {' or '.join(allowed)}",
            )
        if command.at < state.filed_at:
            raise CommandError("before_filing", f"at {command.at.isoformat()} is before the appeal was filed ({state.filed_at.isoformat()})")
        payload = _PAYLOADS[command.type](state, command)
        region = state.region
        body = command.data["to_body"] if command.type == "route" else state.body
        sequence, prev_hash = state.sequence + 1, state.last_hash
    if actor is None:
        role, actor_id = default_actor(command, state)
        actor = {"role": role, "id": actor_id, "bodies": [], "regions": []}
    return {
        "event_id": event_id_for(command.appeal_id, command.command_id),
        "appeal_id": command.appeal_id,
        "sequence": sequence,
        "event_type": event_type,
        "command_id": command.command_id,
        "occurred_at": command.at,
        "recorded_at": recorded_at,
        "actor": actor,
        "region": region,
        "body": body,
        "payload": payload,
        "prev_hash": prev_hash,
        "hash": "",
        "imported_by": imported_by,
    }


def _filed_payload(command: Command) -> dict[str, Any]:
    received = command.at.date()
    citizen = command.data["citizen"]
    return {
        "category": command.data["category"],
        "channel": command.data["channel"],
        "received_on": received,
        "due_on": calendar.answer_due(received),
        "forward_by": calendar.forward_by(received),
        "citizen": {"iin": citizen["iin"], "name": citizen["name"], "contact": citizen["contact"], "text": command.data["text"]},
    }


def _routed(state: AppealState, command: Command) -> dict[str, Any]:
    if command.data["to_body"] == state.body:
        raise CommandError("invalid_field", f"to_body: the appeal is already with {state.body}")
    return {
        "from_body": state.body,
        "to_body": command.data["to_body"],
        "reason": command.data["reason"],
        "within_deadline": command.at.date() <= state.forward_by,
    }


def _extended(state: AppealState, command: Command) -> dict[str, Any]:
    until, latest = command.data["until"], calendar.latest_extension(state.received_on)
    if until <= state.due_on:
        raise CommandError("deadline_rule", f"until {until} must be later than the current due date {state.due_on}")
    if until > latest:
        raise CommandError("deadline_rule", f"until {until} exceeds two months from receipt ({latest}), the most APC Art. 76 allows")
    return {"previous_due_on": state.due_on, "due_on": until, "reason": command.data["reason"]}


def _answered(state: AppealState, command: Command) -> dict[str, Any]:
    answered_on = command.at.date()
    return {
        "outcome": command.data["outcome"],
        "answered_on": answered_on,
        "due_on": state.due_on,
        "on_time": answered_on <= state.due_on,
        "text": command.data["text"],
    }


def _escalated(state: AppealState, command: Command) -> dict[str, Any]:
    return {"reason": command.data["reason"], "by": command.data["by"]}


def _rated(state: AppealState, command: Command) -> dict[str, Any]:
    if state.rated:
        raise CommandError("invalid_transition", "the current answer has already been rated")
    return {"satisfied": command.data["satisfied"], "score": command.data["score"], "comment": command.data["comment"]}


def _withdrawn(state: AppealState, command: Command) -> dict[str, Any]:
    return {"reason": command.data["reason"]}


def _reopened(state: AppealState, command: Command) -> dict[str, Any]:
    return {"reason": command.data["reason"], "due_on": calendar.answer_due(command.at.date())}


def _overdue(state: AppealState, command: Command) -> dict[str, Any]:
    if command.at.date() <= state.due_on:
        raise CommandError("deadline_rule", f"the appeal is due on {state.due_on}; it is not overdue on {command.at.date()}")
    if state.overdue_on == state.due_on:
        raise CommandError("deadline_rule", f"the deadline {state.due_on} was already reported overdue")
    return {"due_on": state.due_on}


_PAYLOADS: dict[str, Callable[[AppealState, Command], dict[str, Any]]] = {
    "route": _routed, "extend": _extended, "answer": _answered, "escalate": _escalated,
    "rate": _rated, "withdraw": _withdrawn, "reopen": _reopened, "overdue": _overdue,
}


# --- applying events: the one place each event type changes state ---------------------------

def evolve(state: AppealState | None, event: dict[str, Any]) -> AppealState:
    """The state after `event`. Events at or below the state's sequence are already applied."""
    if state is not None and event["sequence"] <= state.sequence:
        return state
    kind, p = event["event_type"], event["payload"]
    if kind == "filed":
        return AppealState(
            appeal_id=event["appeal_id"], sequence=event["sequence"], last_hash=event["hash"], status=OPEN,
            region=event["region"], body=event["body"], category=p["category"], channel=p["channel"],
            filed_at=event["occurred_at"], received_on=p["received_on"], due_on=p["due_on"],
            forward_by=p["forward_by"], last_at=event["occurred_at"], command_ids=frozenset((event["command_id"],)),
            imported_by=event.get("imported_by"),
        )
    if state is None:
        raise ValueError(f"event {event['event_id']} ({kind}) of appeal {event['appeal_id']} comes before its filing")
    return _changed(state, _APPLY[kind](state, event, p), sequence=event["sequence"], last_hash=event["hash"],
                    body=event["body"], last_at=event["occurred_at"], command_ids=state.command_ids | {event["command_id"]})


def _changed(state: AppealState, changes: dict[str, Any], **common: Any) -> AppealState:
    """A copy of the (frozen) state with fields changed: what dataclasses.replace does, without
    re-running __init__ over every field, which made it the fold's largest cost."""
    new = object.__new__(AppealState)
    fields = new.__dict__
    fields.update(state.__dict__)
    fields.update(common)
    fields.update(changes)
    return new


# Each event type's own changes, on top of the sequence, hash, body, time and command id every event sets.

def _apply_routed(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"routed": s.routed + 1}


def _apply_extended(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"due_on": p["due_on"], "extended": True}


def _apply_answered(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"status": ANSWERED, "answered_at": e["occurred_at"], "answered_on": p["answered_on"], "outcome": p["outcome"],
            "on_time": p["on_time"], "rated": False}


def _apply_escalated(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"status": ESCALATED, "escalations": s.escalations + 1}


def _apply_rated(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"rated": True, "ratings": s.ratings + 1, "satisfied": p["satisfied"], "score": p["score"]}


def _apply_withdrawn(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"status": WITHDRAWN, "withdrawn_at": e["occurred_at"]}


def _apply_reopened(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"status": OPEN, "due_on": p["due_on"], "reopened": s.reopened + 1, "rated": False, "withdrawn_at": None}


def _apply_overdue(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"overdue_on": p["due_on"]}


_APPLY: dict[str, Callable[[AppealState, dict, dict], dict[str, Any]]] = {
    "routed": _apply_routed, "extended": _apply_extended, "answered": _apply_answered,
    "escalated": _apply_escalated, "rated": _apply_rated, "withdrawn": _apply_withdrawn,
    "reopened": _apply_reopened, "overdue": _apply_overdue,
}


def fold(events: list[dict[str, Any]], as_of: datetime | None = None) -> AppealState | None:
    """The appeal's state from its events; with `as_of`, only the events that had occurred by then."""
    state = None
    for event in events:
        if as_of is not None and event["occurred_at"] > as_of:
            continue
        state = evolve(state, event)
    return state
