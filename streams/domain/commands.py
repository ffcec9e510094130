"""Commands: requests to change an appeal, parsed and checked for shape before they meet any state.

The field specification below is the single source of the command format: the parser
checks against it and the HTTP API's OpenAPI document is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from . import bounds
from .bounds import shown
from .iin import bin_problem, iin_problem
from .localtime import local_date
from .regions import is_known_region

OUTCOMES = ("resolved", "explained", "refused")
ESCALATION_REASONS = ("overdue", "dissatisfied", "repeated", "citizen_request")
ESCALATION_BY = ("citizen", "system", "monitor")
ACTOR_ROLES = ("citizen", "body", "system", "monitor", "centre")
NOTICE_KINDS = ("extension", "forwarding")     # Art. 76 (an extension) and Art. 65 (a forwarding)
NOTICE_CHANNELS = ("sms", "email", "post", "portal")


# Every reason a command is rejected with (README: rejection reasons), the ledger's own included.
REJECTION_REASONS = ("malformed", "too_large", "unknown_type", "missing_field", "invalid_field", "unknown_region",
                     "invalid_iin", "key_mismatch", "wrong_partition", "too_many_events", "unknown_appeal",
                     "appeal_exists", "invalid_transition", "deadline_rule", "before_filing", "duplicate_command",
                     "unauthenticated", "forbidden", "internal_error", "backdated", "future", "invalid_bin",
                     "key_unavailable")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str                      # string | datetime | date | boolean | integer | object
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    doc: str = ""
    max_length: int = bounds.MAX_ID_CHARS   # strings: identifiers and codes are printable text
    free_text: bool = False                 # strings: free text may hold line breaks, up to MAX_TEXT_CHARS


def _text(name: str, required: bool = False, doc: str = "") -> Field:
    return Field(name, "string", required=required, doc=doc, max_length=bounds.MAX_TEXT_CHARS, free_text=True)


_CITIZEN_FIELDS = (
    Field("iin", "string", required=False, doc="a person's 12-digit IIN (valid birth date and control digit); or `bin`"),
    Field("bin", "string", required=False, doc="a legal entity's 12-digit BIN (valid control digit), instead of `iin`"),
    Field("name", "string", max_length=bounds.MAX_NAME_CHARS),
    Field("contact", "string", required=False, max_length=bounds.MAX_NAME_CHARS),
)

COMMON_FIELDS = (
    Field("type", "string"),
    Field("command_id", "string", doc="Unique id of this request; re-sending it appends nothing new"),
    Field("appeal_id", "string"),
    Field("at", "datetime", doc="Business time of the act, ISO 8601 with a UTC offset"),
    Field("actor", "object", required=False, doc='{"role": ..., "id": ...}; defaults by command type'),
)

COMMAND_FIELDS: dict[str, tuple[Field, ...]] = {
    "file": (
        Field("region", "string", doc="First-level KATO code, e.g. 75 for Almaty"),
        Field("body", "string", doc="The receiving body"),
        Field("category", "string"),
        Field("channel", "string"),
        Field("citizen", "object"),
        _text("text"),
    ),
    "route": (Field("to_body", "string"), _text("reason")),
    "extend": (Field("until", "date"), _text("reason", required=True, doc="Art. 76: a reasoned decision")),
    "answer": (Field("outcome", "string", choices=OUTCOMES), _text("text")),
    "escalate": (
        Field("reason", "string", choices=ESCALATION_REASONS),
        Field("by", "string", choices=ESCALATION_BY),
    ),
    "rate": (
        Field("satisfied", "boolean"),
        Field("score", "integer", required=False, minimum=1, maximum=5),
        _text("comment"),
    ),
    "withdraw": (_text("reason"),),
    "reopen": (_text("reason"),),
    "overdue": (),
    "notify": (
        Field("kind", "string", choices=NOTICE_KINDS, doc="what the citizen is told of: an extension (Art. 76) or a forwarding (Art. 65)"),
        Field("channel", "string", choices=NOTICE_CHANNELS),
        Field("reference", "string", required=False, doc="the notice's outgoing number or message id"),
    ),
}

CITIZEN_FIELDS = _CITIZEN_FIELDS
CITIZEN_IDENTIFIERS = ("iin", "bin")   # a filing's applicant has exactly one: a person's IIN or a legal entity's BIN
# The deadline watcher's command ids (domain/deadlines.py): another command may not take one first.
RESERVED_ID_PREFIXES = (("overdue:", "overdue"), ("escalate-overdue:", "escalate"))
ACTOR_FIELDS = (Field("role", "string", choices=ACTOR_ROLES), Field("id", "string"))


@dataclass(frozen=True)
class Command:
    type: str
    command_id: str
    appeal_id: str
    at: datetime
    actor: tuple[str, str] | None
    data: dict[str, Any] = field(default_factory=dict)


class CommandError(Exception):
    """A command that cannot be accepted; `reason` is a stable machine-readable code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Each kind's check: (the checked value, None) or (None, what is wrong, after the field's name).
Check = Callable[["Field", Any], tuple[Any, str | None]]


def _string(spec: Field, value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, str):
        return None, "must be a non-empty string"
    problem = bounds.text_problem(value, spec.max_length, spec.free_text)
    if problem:
        return None, f"must be {problem}"
    if spec.choices and value not in spec.choices:
        return None, f"must be one of {', '.join(spec.choices)}; got {shown(value)}"
    return value, None


def _boolean(spec: Field, value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, bool) else (None, "must be true or false")


def _integer(spec: Field, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None, "must be a whole number"
    if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
        return None, f"must be between {spec.minimum} and {spec.maximum}; got {shown(value)}"
    return value, None


def _datetime(spec: Field, value: Any) -> tuple[Any, str | None]:
    moment = bounds.parse_time(value)
    if moment is None:
        return None, "must be an ISO 8601 time with a UTC offset, e.g. 2021-03-01T09:15:00+06:00"
    problem = bounds.time_problem(moment)
    return (None, f"{problem}; got {shown(value)}") if problem else (moment, None)


def _date(spec: Field, value: Any) -> tuple[Any, str | None]:
    day = bounds.parse_day(value)
    if day is None:
        return None, "must be a date YYYY-MM-DD"
    if not bounds.day_in_bounds(day):
        return None, f"must lie between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}; got {shown(value)}"
    return day, None


def _object(spec: Field, value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, dict) else (None, "must be a JSON object")


_CHECKS: dict[str, Check] = {"string": _string, "boolean": _boolean, "integer": _integer, "datetime": _datetime,
                             "date": _date, "object": _object}


def _check_value(spec: Field, value: Any, where: str) -> Any:
    checked, problem = _CHECKS[spec.kind](spec, value)
    if problem:
        raise CommandError("invalid_field", f"{where} {problem}")
    return checked


def _read_fields(source: dict[str, Any], specs: tuple[Field, ...], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs:
        value = source.get(spec.name)
        if value is None:
            if spec.required:
                raise CommandError("missing_field", f"{prefix}{spec.name} is required")
            out[spec.name] = None
            continue
        out[spec.name] = _check_value(spec, value, prefix + spec.name)
    return out


def parse_command(obj: Any) -> Command:
    """A checked Command from a decoded JSON value, or CommandError saying what is wrong."""
    if not isinstance(obj, dict):
        raise CommandError("malformed", "a command is a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in COMMAND_FIELDS:
        known = ", ".join(COMMAND_FIELDS)
        raise CommandError("unknown_type", f"type must be one of {known}; got {shown(kind)}")
    common = _read_fields(obj, COMMON_FIELDS)
    for prefix, owner in RESERVED_ID_PREFIXES:
        if common["command_id"].startswith(prefix) and kind != owner:
            raise CommandError("invalid_field", f"command ids starting {prefix!r} are the deadline watcher's, for {owner} commands")
    data = _read_fields(obj, COMMAND_FIELDS[kind])
    actor = None
    if common["actor"] is not None:
        fields = _read_fields(common["actor"], ACTOR_FIELDS, prefix="actor.")
        actor = (fields["role"], fields["id"])
    if kind == "file":
        data["citizen"] = _read_fields(data["citizen"], _CITIZEN_FIELDS, prefix="citizen.")
        if not is_known_region(data["region"]):
            raise CommandError("unknown_region", f"region {shown(data['region'])} is not a first-level KATO code (e.g. 71 Astana, 75 Almaty)")
        citizen = data["citizen"]
        if sum(citizen[name] is not None for name in CITIZEN_IDENTIFIERS) != 1:
            raise CommandError("missing_field" if citizen["iin"] is None else "invalid_field",
                               "citizen: give exactly one of iin (a person) or bin (a legal entity)")
        if citizen["iin"] is not None:
            problem = iin_problem(citizen["iin"], today=local_date(data["region"], common["at"]))
            if problem:
                raise CommandError("invalid_iin", problem)
        else:
            problem = bin_problem(citizen["bin"])
            if problem:
                raise CommandError("invalid_bin", problem)
    return Command(kind, common["command_id"], common["appeal_id"], common["at"], actor, data)
