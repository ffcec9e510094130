"""The appeal: which command is legal in which state, and how each event changes it (the state: state.py).

`decide` turns a command into the next event (or a CommandError); `evolve` applies an event
to the state. Both are pure: times and ids are parameters, so the ledger, the auditors' replay
and the tests fold events with the very same code.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any, Callable

from . import calendar
from .bounds import MAX_EVENTS_PER_APPEAL
from .business_time import FILING_WINDOW, check_time, overdue_moment
from .chain import GENESIS_HASH
from .commands import Command, CommandError
from .events import EVENT_OF_COMMAND
from .localtime import local_date
from .state import ANSWERED, BODY, CENTRE, ESCALATED, OPEN, STATUSES, WITHDRAWN, AppealState

EVENT_ID_NAMESPACE = uuid.UUID("6f1c2f0e-3b0a-5d8e-9a57-7479e1d4a001")

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
    "notify": STATUSES,     # a notice owed is owed whatever happened since (decide checks that one is owed)
}
NOTICE_TERM_WORKING_DAYS = 3                   # Art. 76: the citizen is notified of an extension within 3 working days


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
           actor: dict[str, Any] | None = None, imported_by: str | None = None, *,
           clock: datetime | None = None, filing_window: timedelta = FILING_WINDOW) -> dict[str, Any]:
    """The event this command appends to the appeal, without its hash; CommandError if none.

    `actor` is who the event names (the authenticated principal, see principals.actor_record);
    without one, the actor the command states or the default of its type (imported histories).
    `imported_by` names the importer that moved the event in: an import may carry past times, in
    order per appeal; a live command (no importer) is held to the ledger's `clock` as well."""
    if state is not None and command.command_id in state.command_ids:
        raise CommandError("duplicate_command", f"command {command.command_id} was already appended to appeal {state.appeal_id}")
    event_type, allowed = EVENT_OF_COMMAND[command.type], LEGAL_IN[command.type]
    occurred_at = command.at
    if state is None:
        if command.type != "file":
            raise CommandError("unknown_appeal", f"appeal {command.appeal_id} has not been filed; file it first")
        check_time(None, command, clock, imported_by is None, filing_window)
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
        check_time(state, command, clock, imported_by is None, filing_window)
        payload = _PAYLOADS[command.type](state, command)
        if command.type == "overdue":
            occurred_at = overdue_moment(state)
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
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "actor": actor,
        "region": region,
        "body": body,
        "payload": payload,
        "prev_hash": prev_hash,
        "hash": "",
        "imported_by": imported_by,
        "citizen_ref": None,
        "sealed": None,
    }


def _day(state: AppealState, command: Command) -> date:
    """The region's legal local day of the command's act, whatever offset the sender wrote."""
    return local_date(state.region, command.at)


def _filed_payload(command: Command) -> dict[str, Any]:
    received = local_date(command.data["region"], command.at)
    citizen = command.data["citizen"]
    return {
        "category": command.data["category"],
        "channel": command.data["channel"],
        "received_on": received,
        "due_on": calendar.answer_due(received),
        "forward_by": calendar.forward_by(received),
        "applicant": "individual" if citizen.get("bin") is None else "legal_entity",
        "citizen": {"iin": citizen.get("iin"), "bin": citizen.get("bin"), "name": citizen["name"],
                    "contact": citizen["contact"], "text": command.data["text"]},
    }


def _routed(state: AppealState, command: Command) -> dict[str, Any]:
    if command.data["to_body"] == state.body:
        raise CommandError("invalid_field", f"to_body: the appeal is already with {state.body}")
    day = _day(state, command)
    # Art. 65: each forwarding within 3 working days of the receipt by the body forwarding it, the
    # citizen notified at the same time; the centre sending an escalated appeal back starts a new term.
    return {
        "from_body": state.body,
        "to_body": command.data["to_body"],
        "reason": command.data["reason"],
        "within_deadline": day <= state.forward_by,
        "forwarded_on": day,
        "forward_by": calendar.forward_by(day),
        "due_on": calendar.answer_due(day) if state.status == ESCALATED else None,
        "notice_due_on": day,   # Art. 65: the citizen is notified at the same time
        "stage": state.stage,
    }


def _extended(state: AppealState, command: Command) -> dict[str, Any]:
    day, until = _day(state, command), command.data["until"]
    start = state.term_started_on or state.received_on
    latest = calendar.latest_extension(start)
    if day > state.due_on:
        raise CommandError("deadline_rule", f"the term ended on {state.due_on}; APC Art. 76 allows an extension only before "
                                            f"it has passed (the act is dated {day})")
    if until <= day:
        raise CommandError("deadline_rule", f"until {until} must lie in the future (the act is dated {day})")
    if until <= state.due_on:
        raise CommandError("deadline_rule", f"until {until} must be later than the current due date {state.due_on}")
    if until > latest:
        raise CommandError("deadline_rule", f"until {until} exceeds two months from the term's receipt ({start}: "
                                            f"{latest}), the most APC Art. 76 allows")
    return {"previous_due_on": state.due_on, "due_on": until, "reason": command.data["reason"],
            "notice_due_on": calendar.add_working_days(day, NOTICE_TERM_WORKING_DAYS), "stage": state.stage}


def _answered(state: AppealState, command: Command) -> dict[str, Any]:
    answered_on = _day(state, command)
    return {
        "outcome": command.data["outcome"],
        "answered_on": answered_on,
        "due_on": state.due_on,
        "on_time": answered_on <= state.due_on,
        "text": command.data["text"],
        "stage": state.stage,
    }


def _escalated(state: AppealState, command: Command) -> dict[str, Any]:
    day = _day(state, command)
    # The centre's own term: 15 working days from the escalation's receipt (APC Art. 76).
    return {"reason": command.data["reason"], "by": command.data["by"], "received_on": day,
            "due_on": calendar.answer_due(day)}


def _rated(state: AppealState, command: Command) -> dict[str, Any]:
    if state.rated:
        raise CommandError("invalid_transition", "the current answer has already been rated")
    return {"satisfied": command.data["satisfied"], "score": command.data["score"], "comment": command.data["comment"],
            "stage": state.stage}


def _withdrawn(state: AppealState, command: Command) -> dict[str, Any]:
    return {"reason": command.data["reason"]}


def _reopened(state: AppealState, command: Command) -> dict[str, Any]:
    return {"reason": command.data["reason"], "due_on": calendar.answer_due(_day(state, command))}


def _overdue(state: AppealState, command: Command) -> dict[str, Any]:
    moment = overdue_moment(state)
    if command.at < moment:
        raise CommandError("deadline_rule", f"the appeal is due on {state.due_on}; it is overdue from {moment.isoformat()}, "
                                            f"not at {command.at.isoformat()}")
    if state.overdue_on == state.due_on:
        raise CommandError("deadline_rule", f"the deadline {state.due_on} was already reported overdue")
    return {"due_on": state.due_on, "stage": state.stage}


def _notified(state: AppealState, command: Command) -> dict[str, Any]:
    kind = command.data["kind"]
    owed = state.notice_owed(kind)
    if owed is None:
        raise CommandError("invalid_transition", f"no notice of a {kind} is owed to the citizen of appeal {command.appeal_id}")
    day = _day(state, command)
    return {"kind": kind, "channel": command.data["channel"], "due_on": owed[1], "on_time": day <= owed[1],
            "stage": owed[2], "reference": command.data.get("reference")}


_PAYLOADS: dict[str, Callable[[AppealState, Command], dict[str, Any]]] = {
    "route": _routed, "extend": _extended, "answer": _answered, "escalate": _escalated,
    "rate": _rated, "withdraw": _withdrawn, "reopen": _reopened, "overdue": _overdue, "notify": _notified,
}


# --- applying events: the one place each event type changes state ---------------------------

def _watcher_act(event: dict[str, Any]) -> bool:
    """An act of the deadline watcher (not imported): it does not make an imported appeal live."""
    return event.get("imported_by") is None and event["actor"]["role"] == "system" and event["event_type"] in ("overdue", "escalated")


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
            imported_by=event.get("imported_by"), term_started_on=p["received_on"], body_due_on=p["due_on"],
            last_on=local_date(event["region"], event["occurred_at"]),
            last_act_imported=event.get("imported_by") is not None, stage_body=event["body"],
            imported_at=event["recorded_at"] if event.get("imported_by") is not None else None,
        )
    if state is None:
        raise ValueError(f"event {event['event_id']} ({kind}) of appeal {event['appeal_id']} comes before its filing")
    last_at = event["occurred_at"] if state.last_at is None or event["occurred_at"] > state.last_at else state.last_at
    common = {"sequence": event["sequence"], "last_hash": event["hash"], "body": event["body"], "last_at": last_at,
              "command_ids": state.command_ids | {event["command_id"]}}
    if last_at is not state.last_at:
        common["last_on"] = local_date(state.region, last_at)
    if not _watcher_act(event):
        common["last_act_imported"] = event.get("imported_by") is not None
    if event.get("imported_by") is not None:
        common["imported_at"] = event["recorded_at"]
    return _changed(state, _APPLY[kind](state, event, p), **common)


def _changed(state: AppealState, changes: dict[str, Any], **common: Any) -> AppealState:
    """A copy of the (frozen) state with fields changed: what dataclasses.replace does, without
    re-running __init__ over every field, which made it the fold's largest cost."""
    new = object.__new__(AppealState)
    fields = new.__dict__
    fields.update(state.__dict__)
    fields.update(common)
    fields.update(changes)
    return new


def _event_day(s: AppealState, e: dict) -> date:
    return local_date(s.region, e["occurred_at"])


def _owe(s: AppealState, kind: str, due: date | None) -> tuple[tuple[str, date, str], ...]:
    return s.notices_owed if due is None else s.notices_owed + ((kind, due, s.stage),)


# Each event type's own changes, on top of the sequence, hash, body, time and command id every event sets.
# Payload fields added in schema v2 are read with .get(): events written before them fold as they did.

def _apply_routed(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    changes: dict[str, Any] = {"routed": s.routed + 1, "notices_owed": _owe(s, "forwarding", p.get("notice_due_on"))}
    if s.stage == BODY and s.body_answered_on is None:
        changes["stage_body"] = p["to_body"]   # the competent body answers for the body stage
    if p.get("forward_by") is not None:
        changes["forward_by"] = p["forward_by"]
    if p.get("due_on") is not None:   # the centre sent it back to a body, with a new term
        changes.update(status=OPEN, due_on=p["due_on"], term_started_on=p.get("forwarded_on") or _event_day(s, e))
        if s.stage == CENTRE and s.centre_answered_on is None:
            changes["centre_due_on"] = p["due_on"]
    return changes


def _apply_extended(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    changes: dict[str, Any] = {"due_on": p["due_on"], "extended": True,
                               "notices_owed": _owe(s, "extension", p.get("notice_due_on"))}
    if s.stage == BODY and s.body_answered_on is None:
        changes["body_due_on"] = p["due_on"]
    elif s.stage == CENTRE and s.centre_answered_on is None:
        changes["centre_due_on"] = p["due_on"]
    return changes


def _apply_answered(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": ANSWERED, "answered_at": e["occurred_at"], "answered_on": p["answered_on"],
                               "outcome": p["outcome"], "on_time": p["on_time"], "rated": False,
                               "stage_answers": s.stage_answers + 1}
    if s.stage == BODY and s.body_answered_on is None:
        changes.update(body_answered_on=p["answered_on"], body_on_time=p["on_time"])
    elif s.stage == CENTRE and s.centre_answered_on is None:
        changes.update(centre_answered_on=p["answered_on"], centre_on_time=p["on_time"])
    return changes


def _apply_escalated(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    day = p.get("received_on") or _event_day(s, e)
    due = p.get("due_on") or calendar.answer_due(day)
    changes: dict[str, Any] = {"status": ESCALATED, "escalations": s.escalations + 1, "last_escalated_by": p["by"],
                               "due_on": due, "term_started_on": day, "forward_by": calendar.forward_by(day)}
    if s.stage == BODY:   # the first escalation: the centre's handling begins, with its own figures
        changes.update(stage=CENTRE, centre_received_on=day, centre_due_on=due, escalated_by=p["by"], stage_answers=0)
    return changes


def _apply_rated(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    changes: dict[str, Any] = {"rated": True, "ratings": s.ratings + 1, "satisfied": p["satisfied"], "score": p["score"]}
    if s.stage_answers == 1:   # a rating of the stage's first answer is that stage's figure
        if s.stage == BODY and s.body_satisfied is None:
            changes["body_satisfied"] = p["satisfied"]
        elif s.stage == CENTRE and s.centre_satisfied is None:
            changes["centre_satisfied"] = p["satisfied"]
    return changes


def _apply_withdrawn(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"status": WITHDRAWN, "withdrawn_at": e["occurred_at"]}


def _apply_reopened(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"status": OPEN, "due_on": p["due_on"], "reopened": s.reopened + 1, "rated": False, "withdrawn_at": None,
            "term_started_on": _event_day(s, e)}


def _apply_overdue(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    return {"overdue_on": p["due_on"]}


def _apply_notified(s: AppealState, e: dict, p: dict) -> dict[str, Any]:
    owed, given = list(s.notices_owed), s.notice_owed(p["kind"])
    if given is not None:
        owed.remove(given)   # the first equal entry: the oldest of that kind
    changes: dict[str, Any] = {"notices_owed": tuple(owed)}
    if not p["on_time"]:
        name = "body_late_notices" if p.get("stage", BODY) == BODY else "centre_late_notices"
        changes[name] = getattr(s, name) + 1
    return changes


_APPLY: dict[str, Callable[[AppealState, dict, dict], dict[str, Any]]] = {
    "routed": _apply_routed, "extended": _apply_extended, "answered": _apply_answered,
    "escalated": _apply_escalated, "rated": _apply_rated, "withdrawn": _apply_withdrawn,
    "reopened": _apply_reopened, "overdue": _apply_overdue, "notified": _apply_notified,
}


def fold(events: list[dict[str, Any]], as_of: datetime | None = None) -> AppealState | None:
    """The appeal's state from its events (in sequence order); with `as_of`, as it stood then: up to the first
    event that had not yet happened. (An overdue event is dated back to when the term ended, so a later one
    may carry an earlier time: skipping only the later acts would build a state that never existed.)"""
    state = None
    for event in events:
        if as_of is not None and event["occurred_at"] > as_of:
            break
        state = evolve(state, event)
    return state
