"""Avro single-object encoding of events, checked against the Avro specification's own rules."""

from __future__ import annotations

import io

import avro.io
import avro.schema
import pytest

from streams.avro import codec
from tests.support.appeals import PATHS, build


def all_events():
    _, events = build(PATHS["answered_rated"])
    _, more = build(["file", "route", "extend", "notify", "escalate", "withdraw", "reopen", "overdue"])
    return events + more


def test_header_is_marker_and_the_avro_libraries_fingerprint():
    schema = codec.load(codec.EVENT)
    # The Apache Avro library's own canonical form and Rabin fingerprint (independent of fastavro).
    parsed = avro.schema.parse(schema.canonical)
    expected = parsed.fingerprint("CRC-64-AVRO")
    message = codec.encode_event(all_events()[0])
    assert message[:2] == b"\xc3\x01"
    assert message[2:10] == bytes(expected)


def test_every_event_type_round_trips_and_the_avro_library_reads_the_body():
    events = all_events()
    assert {e["event_type"] for e in events} == set(codec.PAYLOAD_RECORDS)
    reader = avro.io.DatumReader(avro.schema.parse(codec.load(codec.EVENT).canonical))
    for event in events:
        message = codec.encode_event(event)
        decoded = codec.decode(message)
        assert decoded["hash"] == event["hash"] and decoded["payload"] == event["payload"]
        assert decoded["occurred_at"] == event["occurred_at"]
        other = reader.read(avro.io.BinaryDecoder(io.BytesIO(message[10:])))
        assert other["sequence"] == event["sequence"] and other["event_type"] == event["event_type"]


def test_decode_many_equals_decode_and_never_shifts_records():
    events = all_events() * 3
    messages = [codec.encode_event(e) for e in events]
    keys = [e["appeal_id"] for e in events]
    assert codec.decode_many(messages, keys) == [codec.decode(m) for m in messages]
    # A body with two extra bytes would shift every record after it inside one Avro block:
    # the key check notices, and the run is decoded message by message instead.
    padded = list(messages)
    padded[2] = padded[2] + b"\x02\x02"
    assert codec.decode_many(padded, keys) == [codec.decode(m) for m in messages]
    # A cut body fails, as decode() does; it is not skipped.
    cut = list(messages)
    cut[4] = cut[4][:30]
    with pytest.raises(Exception):
        codec.decode_many(cut, keys)
    # Mixed writers (here a rejection between events) are decoded run by run.
    rejection = codec.encode(codec.REJECTION, {
        "rejection_id": "0b7e4bd6-3a43-4c1e-9d59-1f0d7b0f4c11", "request_id": None, "command_id": "c", "appeal_id": None, "command_type": None,
        "reason": "malformed", "detail": "x", "command": b"{", "source_topic": "appeals.commands",
        "source_partition": 0, "source_offset": 1, "rejected_at": events[0]["recorded_at"]})
    mixed = messages[:3] + [rejection] + messages[3:6]
    assert codec.decode_many(mixed) == [codec.decode(m) for m in mixed]


def test_garbage_and_unknown_writers_are_refused_by_name():
    with pytest.raises(codec.DecodeError, match="C3 01"):
        codec.decode(b'{"json": true}')
    with pytest.raises(codec.DecodeError, match="unknown writer schema fingerprint 0000000000000000"):
        codec.decode(b"\xc3\x01" + b"\x00" * 8 + b"\x02")


# What schema v2 added, per record: an event without them is one v1 could write.
V2_FIELDS = {"event": ("citizen_ref", "sealed"), "filed": ("applicant",), "citizen": ("bin",),
             "routed": ("forwarded_on", "forward_by", "due_on", "notice_due_on", "stage"),
             "extended": ("notice_due_on", "stage"), "answered": ("stage",), "escalated": ("received_on", "due_on"),
             "rated": ("stage",), "overdue": ("stage",)}


def as_v1(event: dict) -> dict:
    """The event as a v1.2 writer would have written it, rehashed: v2's fields dropped."""
    from streams.domain.chain import seal

    old = {k: v for k, v in event.items() if k not in V2_FIELDS["event"]}
    payload = {k: v for k, v in event["payload"].items() if k not in V2_FIELDS.get(event["event_type"], ())}
    if event["event_type"] == "filed":
        payload["citizen"] = {k: v for k, v in payload["citizen"].items() if k not in V2_FIELDS["citizen"]}
    old["payload"] = payload
    return seal(old)


def write_with(version: str, event: dict) -> bytes:
    import fastavro

    schema = codec.load(codec.EVENT, codec.settings.SCHEMAS_DIR / "released" / version)
    out = io.BytesIO()
    out.write(codec.MAGIC + schema.fingerprint)
    fastavro.schemaless_writer(out, schema.parsed, dict(event, payload=(codec.PAYLOAD_RECORDS[event["event_type"]],
                                                                         event["payload"])))
    return out.getvalue()


def test_v2_reads_every_v1_event_and_each_still_verifies_as_written():
    """README, moving to v2: the v2 reader reads all v1 data (the gate checks the schemas; this, real bytes): each
    v1 event type written with v1.2 decodes, its hash verifies as written, and v2's new fields take their defaults."""
    from streams.domain.chain import event_hash, seal

    v1_types = [e for e in all_events() if e["event_type"] != "notified"]
    for version, event in [(v, e) for v in ("v1", "v1.1", "v1.2") for e in v1_types]:
        old = as_v1(event)
        if version != "v1.2":   # before v1.2: no importer, and the actor without its scope
            del old["imported_by"]
            old["actor"] = {"role": old["actor"]["role"], "id": old["actor"]["id"]}
            seal(old)
        message = write_with(version, old)
        as_written = codec.decode_as_written(message)
        assert event_hash(as_written) == old["hash"], event["event_type"]
        resolved = codec.decode(message)
        assert resolved["sealed"] is None and resolved["citizen_ref"] is None
        assert resolved["payload"].get("stage", "body") == "body"
        if event["event_type"] == "filed":
            assert resolved["payload"]["applicant"] == "individual"
            assert resolved["payload"]["citizen"]["iin"] == event["payload"]["citizen"]["iin"]


def test_a_v1_reader_cannot_read_v2_events_which_is_why_v2_is_a_major_version():
    import fastavro

    [notified] = [e for e in all_events() if e["event_type"] == "notified"]
    message = codec.encode_event(notified)
    v12 = codec.load(codec.EVENT, codec.settings.SCHEMAS_DIR / "released" / "v1.2")
    from fastavro._read_common import SchemaResolutionError

    # Resolved to the v1.2 reader, the new union branch has nowhere to go; read as v1.2 bytes, it is garbage.
    with pytest.raises(SchemaResolutionError, match="kz.tyndau.CitizenNotified"):
        fastavro.schemaless_reader(io.BytesIO(message[10:]), codec.load(codec.EVENT).parsed, v12.parsed)
    with pytest.raises(IndexError):
        fastavro.schemaless_reader(io.BytesIO(message[10:]), v12.parsed, None)


def test_an_event_written_with_v1_1_keeps_its_hash_when_read_as_written_after_v1_2():
    """v1.2 added fields with defaults (Actor.bodies, Actor.regions, AppealEvent.imported_by): an event
    written before them verifies as written, and reads resolved with the defaults filled in."""
    import fastavro

    from streams.domain.chain import GENESIS_HASH, event_hash, seal

    [event] = build(["file"])[1][:1]
    old = as_v1(event)
    del old["imported_by"]
    old["actor"] = {"role": old["actor"]["role"], "id": old["actor"]["id"]}
    old["prev_hash"] = GENESIS_HASH
    seal(old)                                            # hashed over the fields v1.1 had
    v11 = codec.load(codec.EVENT, codec.settings.SCHEMAS_DIR / "released" / "v1.1")
    out = io.BytesIO()
    out.write(codec.MAGIC + v11.fingerprint)
    fastavro.schemaless_writer(out, v11.parsed, dict(old, payload=(codec.PAYLOAD_RECORDS["filed"], old["payload"])))
    message = out.getvalue()
    as_written = codec.decode_as_written(message)
    assert "imported_by" not in as_written and event_hash(as_written) == old["hash"]
    resolved = codec.decode(message)
    assert resolved["imported_by"] is None and resolved["actor"]["bodies"] == [] and resolved["hash"] == old["hash"]
    assert event_hash(resolved) != old["hash"]           # why verification canonicalises the written form
