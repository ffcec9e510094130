"""Judging is total: any bytes as key and value get exactly one event or one rejection, never an exception."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.agents.judge import judge
from streams.auth.assertions import ASSERTION_SECONDS
from streams.auth.keys import KeyRing
from streams.avro import codec
from streams.domain import bounds
from streams.domain.appeal import AppealState
from streams.domain.commands import REJECTION_REASONS
from streams.domain.principals import Principal
from tests.support.appeals import FIELDS, FILED_AT, PATHS, build, command
from tests.support.messages import (FIELD_PATHS, FILING, RING, assertion, command_message, json_values, mutated, nasty_values,
                                    signed_message)

NOW = datetime(2003, 1, 13, 5, 30, tzinfo=timezone.utc)   # the ledger's clock: 75 minutes after FILING's `at`


def no_state(appeal_id: str) -> AppealState | None:
    return None


def verdict_of(value: Any, key: Any = b"a-1", state_of=no_state, headers: Any = (), bug_expected: bool = False,
               now: datetime = NOW):
    verdict = judge(signed_message(key, value, headers), now, state_of, RING)
    # Whatever happened, what the ledger writes decodes with the published schemas and fits the topic.
    decoded = codec.decode(verdict.value)
    assert len(verdict.value) < 200 * 1024
    if verdict.event is not None:
        assert decoded["hash"] == verdict.event["hash"] and verdict.state.sequence == verdict.event["sequence"]
    else:
        assert decoded["reason"] in REJECTION_REASONS, decoded["reason"]
        assert (decoded["reason"] == "internal_error") == bug_expected, decoded["detail"]
    return verdict, decoded


def reason_of(value: Any, **kwargs: Any) -> str:
    verdict, decoded = verdict_of(value, **kwargs)
    assert verdict.event is None, "expected a rejection"
    return decoded["reason"]


def body(command: dict) -> bytes:
    return json.dumps(command, ensure_ascii=False).encode()


def test_a_valid_filing_is_an_event():
    verdict, event = verdict_of(body(FILING))
    assert verdict.event is not None and event["sequence"] == 1 and verdict.key == b"a-1"


@pytest.mark.parametrize("raw, reason", [
    (b'{"type": [], "command_id": "c", "appeal_id": "a-1", "at": "2003-01-13T09:15:00+05:00"}', "unknown_type"),
    (b'{"type": {"a": 1}, "command_id": "c", "appeal_id": "a-1"}', "unknown_type"),
    (body(dict(FILING, command_id={"id": 1})), "invalid_field"),
    (body(dict(FILING, appeal_id=["a-1"])), "invalid_field"),
    (body(dict(FILING, body=["x"])), "invalid_field"),
    (body(dict(FILING, region=75)), "invalid_field"),
    (body(dict(FILING, citizen={"iin": 900101301233, "name": "A"})), "invalid_field"),
    (body(dict(FILING, citizen="Aida")), "invalid_field"),
    (body(dict(FILING, actor={"role": "body", "id": {"x": 1}})), "invalid_field"),
    (body(dict(FILING, actor="body")), "invalid_field"),
    (b'{"type": "file", "command_id": "\\ud800", "appeal_id": "a-1"}', "malformed"),   # a lone surrogate
    (body(FILING).replace(b'"Aida"', b'"Ai\\udc00da"'), "malformed"),
    (b'[' * 5000 + b']' * 5000, "malformed"),            # nested thousands deep
    (b'{"a":' * 3000 + b'1' + b'}' * 3000, "malformed"),
    (b"\xff\xfe{}", "malformed"),                          # not UTF-8
    (b"", "malformed"),
    (None, "malformed"),                                   # a tombstone
    (b"[1, 2]", "malformed"),
    (b'{"type": "file"} trailing', "malformed"),
    (b"NaN", "malformed"),
    (body(dict(FILING, at="9999-12-31T23:59:59+05:00")), "invalid_field"),
    (body(dict(FILING, at="0001-01-01T00:00:00+06:00")), "invalid_field"),
    (body(dict(FILING, at="2150-01-01T05:00:00+05:00")), "invalid_field"),
    (body(dict(FILING, at="1969-12-31T23:59:59+00:00")), "invalid_field"),
    (body(dict(FILING, at="2003-01-13T09:15:00")), "invalid_field"),      # no UTC offset
    (body(dict(FILING, command_id="x" * 129)), "invalid_field"),
    (body(dict(FILING, appeal_id="a\n1")), "invalid_field"),
    (body(dict(FILING, appeal_id="a\u202e1")), "invalid_field"),           # an invisible direction override
    (body(dict(FILING, category="c" * 129)), "invalid_field"),
    (body(dict(FILING, text="t" * 10_001)), "invalid_field"),
    (body(dict(FILING, text="bell \x07")), "invalid_field"),
    (body(dict(FILING, citizen={"iin": "900101301233", "name": "n" * 257})), "invalid_field"),
])
def test_hostile_commands_are_rejected_with_a_reason(raw, reason):
    assert reason_of(raw) == reason


def test_free_text_keeps_line_breaks_up_to_the_bound():
    verdict, _ = verdict_of(body(dict(FILING, text="line one\nline two\t" + "ы" * 9_980)))
    assert verdict.event is not None


def test_business_times_at_the_bounds_parse_and_the_ledgers_clock_judges_them():
    """The parser takes 1970-01-01 to 2149-12-31; the ledger then refuses a time past its clock (`future`), and an
    importer may move in the earliest (an applicant born in 1960: an IIN's birth may not follow the act)."""
    from streams.domain.iin import make_iin

    earliest = dict(FILING, at="1970-01-01T00:00:00+00:00", citizen={"iin": make_iin("600101", 3, 1234), "name": "A"})
    verdict, event = verdict_of(body(earliest))
    assert verdict.event is not None and event["payload"]["due_on"].year == 1970
    assert reason_of(body(dict(FILING, at="2149-12-31T23:59:59+00:00"))) == "future"


def test_a_record_over_64_kb_keeps_only_its_sha256():
    raw = body(dict(FILING, text="x" * (bounds.MAX_COMMAND_BYTES + 10)))
    verdict, rejected = verdict_of(raw)
    assert rejected["reason"] == "too_large" and rejected["command"] == b""
    assert rejected["command_prefix"] is None and rejected["command_sha256"] == hashlib.sha256(raw).hexdigest()
    assert rejected["appeal_id"] is None and verdict.key is None
    assert len(verdict.value) < 2048


def test_key_must_be_the_appeal_id_whatever_its_bytes():
    assert reason_of(body(FILING), key=b"\xff\xfe") == "key_mismatch"
    assert reason_of(body(FILING), key=None) == "key_mismatch"
    verdict, rejected = verdict_of(body(FILING), key=b"k" * 100_000)
    assert rejected["reason"] == "key_mismatch" and len(rejected["detail"]) <= bounds.MAX_DETAIL_CHARS


def test_rejections_copy_only_well_formed_identifiers_and_headers():
    raw = body(dict(FILING, command_id="c" * 500, region="99"))
    _, rejected = verdict_of(raw, headers=[("tyndau-request-id", b"\xff" * 10)])
    assert rejected["reason"] == "invalid_field" and rejected["command_id"] is None and rejected["request_id"] is None
    _, rejected = verdict_of(body(dict(FILING, region="99")), headers=[("tyndau-request-id", b"req-1")])
    assert rejected["reason"] == "unknown_region" and rejected["command_id"] == "c-1" and rejected["request_id"] == "req-1"


def test_a_bug_becomes_internal_error_with_the_class_not_a_crash(caplog):
    def broken(appeal_id: str):
        raise ZeroDivisionError("a bug")

    _, rejected = verdict_of(body(FILING), state_of=broken, bug_expected=True)
    assert rejected["reason"] == "internal_error" and rejected["detail"] == "ZeroDivisionError"
    assert rejected["command_id"] == "c-1" and rejected["command"] == b""
    assert rejected["command_sha256"] == hashlib.sha256(body(FILING)).hexdigest()   # issue 15: no personal data kept
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged and "ZeroDivisionError" in logged[0].getMessage() and "Aida" not in logged[0].getMessage()


# --- property-based: arbitrary bytes, arbitrary JSON, one field of a valid command mutated ---------

fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(key=st.one_of(st.none(), st.binary(max_size=200)), value=st.one_of(st.none(), st.binary(max_size=2000)))
def test_any_bytes_get_one_outcome(key, value):
    verdict_of(value, key=key)


@fuzz
@given(value=json_values)
def test_any_json_value_gets_one_outcome(value):
    verdict, _ = verdict_of(json.dumps(value).encode())
    assert verdict.event is None or isinstance(value, dict)


@fuzz
@given(path=st.sampled_from(FIELD_PATHS), value=nasty_values)
def test_a_valid_command_with_one_field_mutated_gets_one_outcome(path, value):
    verdict_of(mutated(FILING, path, value))


def test_a_command_on_another_partition_than_its_appeal_s_is_refused():
    """Another partition's ledger would start a second chain for the same appeal id."""
    right = signed_message(b"a-1", body(FILING))
    wrong = right._replace(partition=(right.partition + 1) % 4)
    rejected = codec.decode(judge(wrong, NOW, no_state, RING).value)
    assert rejected["reason"] == "wrong_partition" and f"belongs on partition {right.partition}" in rejected["detail"]


@pytest.mark.parametrize("at, words", [
    ("2003-01-13T09:15:00+14:30", "beyond ±14:00"),
    ("2003-01-13T09:15:00-23:59", "beyond ±14:00"),
    ("1969-12-31T20:00:00-05:00", "between 1970-01-01 and 2149-12-31"),   # 1970 in UTC, 1969 where it was sent
])
def test_offsets_and_local_days_stay_within_the_bounds(at, words):
    _, rejected = verdict_of(body(dict(FILING, at=at)))
    assert rejected["reason"] == "invalid_field" and words in rejected["detail"]


def test_the_deadline_watcher_s_command_ids_are_its_own():
    """A body may not take `overdue:<appeal>:<due>` first and so keep its appeal from being reported overdue."""
    filed = verdict_of(body(FILING))[0].state
    route = {"type": "route", "command_id": "overdue:a-1:2003-02-03", "appeal_id": "a-1", "at": "2003-01-14T10:00:00+05:00",
             "to_body": "other"}
    _, rejected = verdict_of(body(route), state_of=lambda _: filed)
    assert rejected["reason"] == "invalid_field" and "deadline watcher" in rejected["detail"]
    overdue = {"type": "overdue", "command_id": "overdue:a-1:2003-02-03", "appeal_id": "a-1", "at": "2003-02-05T10:00:00+05:00"}
    assert verdict_of(body(overdue), state_of=lambda _: filed, now=datetime(2003, 2, 5, 6, tzinfo=timezone.utc))[0].event is not None


# --- who sent it: the tyndau-auth assertion and the principal's rights (issue "who may do what") ---------

GATEWAY = Principal("e-otinish", "gateway")
# A gateway files live: its filing is dated now (the ledger's clock is the record's write time, README: business time).
LIVE_FILING = dict(FILING, at=datetime.now(timezone.utc).isoformat())
ALMATY_CLERK = Principal("almaty-clerk", "body", bodies=("almaty-akimat",))


def judged(value: bytes, headers, state_of=no_state, key: bytes = b"a-1", timestamp: float | None = None,
           now: datetime = NOW):
    message = command_message(key, value, headers)
    if timestamp is not None:
        message = message._replace(timestamp=timestamp)
    verdict = judge(message, now, state_of, RING)
    return verdict, codec.decode(verdict.value)


def test_a_command_without_an_assertion_is_rejected_unauthenticated():
    verdict, rejected = judged(body(FILING), [])
    assert verdict.event is None and rejected["reason"] == "unauthenticated" and "tyndau-auth" in rejected["detail"]
    assert rejected["command_id"] == "c-1" and rejected["appeal_id"] == "a-1"   # the rejection names what it refused
    # Even bytes that are not JSON: who sent them is asked first.
    assert judged(b"\xff not json", [])[1]["reason"] == "unauthenticated"


def test_an_assertion_copied_onto_other_bytes_or_another_command_id_is_refused():
    header = assertion(body(LIVE_FILING), GATEWAY)
    other_bytes = body(dict(LIVE_FILING, text="another text"))
    assert judged(other_bytes, [header])[1]["reason"] == "unauthenticated"
    other_id = body(dict(LIVE_FILING, command_id="c-2"))
    assert judged(other_id, [header])[1]["reason"] == "unauthenticated"
    assert judged(body(LIVE_FILING), [header])[0].event is not None   # on its own bytes it holds


def test_an_assertion_signed_with_another_key_is_refused():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    stranger = KeyRing(RING.path, RING.active, {RING.active: Ed25519PrivateKey.generate()})   # same kid, other key
    header = assertion(body(FILING), GATEWAY, ring=stranger)
    verdict, rejected = judged(body(FILING), [header])
    assert rejected["reason"] == "unauthenticated" and "does not verify" in rejected["detail"]


def test_an_assertion_is_judged_at_the_record_s_write_time_not_at_judgement():
    written = datetime.now(timezone.utc) - timedelta(hours=3)
    filing = body(dict(FILING, at=written.isoformat()))
    header = assertion(filing, GATEWAY, at=written)
    # A backlog judged hours later: the record was written while the assertion was valid, and its business time
    # is judged against the moment it was written too (not `future`, not `backdated`).
    assert judged(filing, [header], timestamp=written.timestamp() + 10)[0].event is not None
    # Written after the assertion expired (a copy replayed later): refused.
    late = written.timestamp() + ASSERTION_SECONDS + 1
    assert judged(filing, [header], timestamp=late)[1]["reason"] == "unauthenticated"


def test_the_event_names_the_principal_and_its_scope_not_a_default():
    verdict, event = judged(body(LIVE_FILING), [assertion(body(LIVE_FILING), GATEWAY)])
    assert event["actor"] == {"role": "gateway", "id": "e-otinish", "bodies": [], "regions": []}
    assert event["imported_by"] is None


def test_an_importer_s_event_keeps_the_moved_actor_and_names_the_importer():
    moved = body(dict(FILING, actor={"role": "citizen", "id": "legacy-42"}))
    verdict, event = judged(moved, [assertion(moved)])
    assert event["actor"]["role"] == "citizen" and event["actor"]["id"] == "legacy-42"
    assert event["imported_by"] == "test-importer"


def test_a_body_cannot_answer_another_body_s_appeal():
    """Only the appeal's responsible body answers it (Code of administrative procedure, art. 64)."""
    state, _ = build(PATHS["open"])   # assigned to almaty-akimat
    answer = body(command("answer", 7, FILED_AT + timedelta(days=3), **FIELDS["answer"]))
    astana = Principal("astana-clerk", "body", bodies=("astana-akimat",))
    then = FILED_AT + timedelta(days=3, minutes=1)   # when the answer was written to appeals.commands
    verdict, rejected = judged(answer, [assertion(answer, astana, at=then)], state_of=lambda _: state, key=b"A-1",
                               timestamp=then.timestamp())
    assert verdict.event is None and rejected["reason"] == "forbidden" and "not assigned" in rejected["detail"]
    verdict, event = judged(answer, [assertion(answer, ALMATY_CLERK, at=then)], state_of=lambda _: state, key=b"A-1",
                            timestamp=then.timestamp())
    assert event["actor"] == {"role": "body", "id": "almaty-clerk", "bodies": ["almaty-akimat"], "regions": []}


def test_a_principal_that_is_not_an_importer_cannot_name_an_actor():
    claimed = body(dict(FILING, actor={"role": "body", "id": "someone-else"}))
    assert judged(claimed, [assertion(claimed, GATEWAY)])[1]["reason"] == "forbidden"


def test_a_reader_role_sends_no_commands():
    monitor = Principal("pa-monitor", "monitor")
    verdict, rejected = judged(body(FILING), [assertion(body(FILING), monitor)])
    assert rejected["reason"] == "forbidden" and "monitor" in rejected["detail"]


def test_a_command_is_judged_at_the_moment_the_broker_wrote_it_not_when_a_worker_got_to_it():
    """README, business time: the ledger's clock is the record's append time. An answer written at 23:50 on the due
    day (APC Art. 76) and judged after midnight, behind a backlog or after a restart, is on time, not `backdated`."""
    state, _ = build(PATHS["open"])                              # due 2021-03-26, Almaty, UTC+6 then
    at = datetime(2021, 3, 26, 23, 50, tzinfo=timezone(timedelta(hours=6)))
    answer = body(command("answer", 7, at, **FIELDS["answer"]))
    written = at + timedelta(seconds=30)
    verdict, event = judged(answer, [assertion(answer, ALMATY_CLERK, at=written)], state_of=lambda _: state, key=b"A-1",
                            timestamp=written.timestamp(), now=at + timedelta(minutes=20))
    assert verdict.event is not None and event["payload"]["on_time"] is True
