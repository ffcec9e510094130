"""The one list of event types, against the Avro schemas, the command format, the state machine and the dossier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.audit.dossier import TEXT
from streams.domain import appeal
from streams.domain.commands import CITIZEN_FIELDS, COMMAND_FIELDS
from streams.domain.events import BY_NAME, EVENT_OF_COMMAND, EVENT_TYPES, EVENTS
from tests.support.appeals import build

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
NAMESPACE = "kz.tyndau"
# The records that are not an event's payload: the envelopes and what they hold.
NOT_PAYLOADS = {"AppealEvent", "PublicAppealEvent", "PublicAppealFiled", "Actor", "CitizenPersonalData", "CommandRejected",
                "AccessRecorded", "SealedPersonalData", "AppealDataKey", "LedgerCheckpoint", "PartitionTreeHead"}
EVERY_TYPE = ["file", "route", "extend", "notify", "escalate", "answer", "rate", "reopen", "overdue", "withdraw"]


def schema(record: str, directory: Path = SCHEMAS) -> dict:
    return json.loads((directory / f"{NAMESPACE}.{record}.avsc").read_text(encoding="utf-8"))


def fields(record: str) -> dict[str, dict]:
    return {f["name"]: f for f in schema(record)["fields"]}


def payload_union(record: str, directory: Path = SCHEMAS) -> list[str]:
    return next(f["type"] for f in schema(record, directory)["fields"] if f["name"] == "payload")


def test_names_commands_and_records_are_each_used_once():
    for column in ("name", "command", "record"):
        values = [getattr(e, column) for e in EVENTS]
        assert len(set(values)) == len(values), column
    assert EVENT_TYPES == ("filed", "routed", "extended", "answered", "escalated", "rated", "withdrawn", "reopened", "overdue",
                           "notified")
    assert BY_NAME["extended"].record == "DeadlineExtended" and BY_NAME["filed"].command == "file"
    assert EVENT_OF_COMMAND == {"file": "filed", "route": "routed", "extend": "extended", "answer": "answered",
                                "escalate": "escalated", "rate": "rated", "withdraw": "withdrawn", "reopen": "reopened",
                                "overdue": "overdue", "notify": "notified"}


def test_the_payload_union_is_the_list_in_its_order():
    """A union branch is written as its index: the list and the schema must agree on the order too."""
    assert payload_union("AppealEvent") == [f"{NAMESPACE}.{e.record}" for e in EVENTS]


def test_the_event_type_field_documents_the_list():
    doc = fields("AppealEvent")["event_type"]["doc"]
    assert [name.strip() for name in doc.split("|")] == list(EVENT_TYPES)


def test_the_public_union_differs_only_in_the_filing():
    expected = [f"{NAMESPACE}.{'PublicAppealFiled' if e.name == 'filed' else e.record}" for e in EVENTS]
    assert payload_union("PublicAppealEvent") == expected


def test_releases_of_one_major_version_have_the_same_union_and_a_new_major_only_appends():
    """README, evolving a schema: no new branch in a union the readers of a major version must read (a new
    event type needs the next major version, v2 added `notified`); a new major appends its branches, so
    every branch keeps its place."""
    from streams.avro import codec

    released = codec.released_versions()
    current_major = max(codec.release_number(v.name)[0] for v in released)
    for version in released:
        old, new = payload_union("AppealEvent", version), payload_union("AppealEvent")
        if codec.release_number(version.name)[0] == current_major:
            assert old == new, version.name
        else:
            assert new[: len(old)] == old and len(new) > len(old), version.name


def test_every_record_file_is_a_payload_of_the_list_or_a_known_envelope():
    files = {p.name.removeprefix(f"{NAMESPACE}.").removesuffix(".avsc") for p in SCHEMAS.glob("*.avsc")}
    assert files == {e.record for e in EVENTS} | NOT_PAYLOADS


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_TYPES)
def test_each_record_file_names_its_record_and_holds_its_personal_fields(event):
    record = schema(event.record)
    assert (record["type"], record["name"], record["namespace"]) == ("record", event.record, NAMESPACE)
    assert set(event.personal) <= set(fields(event.record))


@pytest.mark.parametrize("event", [e for e in EVENTS if e.name != "filed"], ids=lambda e: e.name)
def test_personal_fields_outside_the_filing_are_nullable(event):
    """The public feed keeps these fields as null in the same record (streams/domain/privacy.py)."""
    for name in event.personal:
        spec = fields(event.record)[name]
        assert isinstance(spec["type"], list) and "null" in spec["type"] and spec.get("default", "absent") is None, name


def test_the_public_filing_is_the_filing_without_personal_data_plus_a_pseudonym():
    filed = BY_NAME["filed"]
    expected = [n for n in fields(filed.record) if n not in filed.personal] + ["citizen_ref"]
    assert list(fields("PublicAppealFiled")) == expected


def test_the_filings_personal_record_holds_the_citizen_and_the_appeals_text():
    """README: citizen personal data (IIN, name, contact, the appeal's text) sits in the citizen record of AppealFiled."""
    assert fields("AppealFiled")["citizen"]["type"] == ["null", f"{NAMESPACE}.CitizenPersonalData"]   # null: sealed (v2)
    assert set(fields("CitizenPersonalData")) == {f.name for f in CITIZEN_FIELDS} | {"text"}


def test_every_command_is_an_event_types_command():
    assert set(COMMAND_FIELDS) == {e.command for e in EVENTS}


@pytest.mark.parametrize("event", EVENTS, ids=EVENT_TYPES)
def test_every_free_text_field_of_a_command_is_personal_in_its_event(event):
    free_text = {f.name for f in COMMAND_FIELDS[event.command] if f.free_text}
    if event.name == "filed":
        # The appeal's text is kept in the citizen record, which is personal as a whole.
        assert free_text == {"text"} and "citizen" in event.personal
    else:
        assert free_text <= set(event.personal)


def test_the_state_machine_knows_every_command_and_event_type():
    assert set(appeal.LEGAL_IN) == set(EVENT_OF_COMMAND)
    assert set(appeal._APPLY) == set(EVENT_TYPES) - {"filed"}       # a filing starts the state in evolve itself
    assert set(appeal._PAYLOADS) == set(EVENT_OF_COMMAND) - {"file"}
    assert appeal.LEGAL_IN["file"] == ()                              # a filing needs no appeal
    for command, statuses in appeal.LEGAL_IN.items():
        assert set(statuses) <= set(appeal.STATUSES), command
        assert command == "file" or statuses, command


def test_the_domain_code_writes_each_event_type_with_its_records_fields():
    _, events = build(EVERY_TYPE)
    assert sorted(e["event_type"] for e in events) == sorted(EVENT_TYPES)
    for command, event in zip(EVERY_TYPE, events):
        assert event["event_type"] == EVENT_OF_COMMAND[command]
        assert list(event["payload"]) == list(fields(BY_NAME[event["event_type"]].record)), event["event_type"]
    assert set(events[0]["payload"]["citizen"]) == set(fields("CitizenPersonalData"))


def test_the_deadline_fields_the_law_asks_for_are_in_the_records():
    """APPC Art. 76: 15 working days from receipt, extendable by a reasoned decision to two months in total;
    APPC Art. 65: forwarding to the competent body within 3 working days of receipt."""
    assert {"received_on", "due_on", "forward_by"} <= set(fields("AppealFiled"))
    assert {"previous_due_on", "due_on", "reason"} <= set(fields("DeadlineExtended"))
    assert {"from_body", "to_body", "within_deadline"} <= set(fields("AppealRouted"))
    for record in ("AppealAnswered", "AppealOverdue", "AppealReopened"):
        assert fields(record)["due_on"]["type"] == {"type": "int", "logicalType": "date"}, record


@pytest.mark.parametrize("lang", sorted(TEXT))
def test_the_dossier_names_every_event_type_in_each_language(lang):
    names = TEXT[lang]["types"]
    assert set(names) == set(EVENT_TYPES)
    assert all(isinstance(n, str) and n.strip() and n not in EVENT_TYPES for n in names.values())
    assert len(set(names.values())) == len(names), f"two event types share a {lang} name"


def test_the_dossier_is_written_in_kazakh_and_russian():
    assert {"kk", "ru"} <= set(TEXT)
