"""Hostile input against the real broker and worker: every command gets exactly one outcome, valid ones
their events, nothing crashes, HTTP never answers 5xx to a client's mistake, and `tyndau verify` is clean.

The module runs its own broker and worker (`own_worker`), so verify and the crash count see only this.
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import json
import struct
import time
import urllib.parse
import uuid
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.util import calc_crc32c
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.agents.judge import partition_of
from streams.avro import codec
from streams.domain.chain import chain_problems
from tests.support.kafka_reading import read_all
from tests.support.messages import FIELD_PATHS, FILING, IMPORTER, assertion, json_values, mutated, nasty_values

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
_ids = itertools.count()


def new_id(prefix: str) -> str:
    return f"{prefix}-{RUN}-{next(_ids)}"


def valid_pair() -> tuple[str, list[tuple[bytes, bytes, list]]]:
    """A filing and its answer, both valid: (appeal id, messages)."""
    appeal_id = new_id("ok")
    filing = dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1")
    answer = {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
              "at": "2003-01-20T10:00:00+05:00", "outcome": "resolved", "text": "Жөнделді"}
    return appeal_id, [(appeal_id.encode(), json.dumps(c, ensure_ascii=False).encode(), []) for c in (filing, answer)]


SIGNING = {}   # the module's worker's assertion key: hostile content is judged on what it holds, not refused unsigned


@pytest.fixture(autouse=True)
def _signing(own_worker):
    from streams.auth.keys import load
    SIGNING["ring"] = load(own_worker.auth_dir / "assertions.json")


def signed(value, headers: list) -> list:
    """The headers with the API's assertion of `value` added (as an importer, who may send any command)."""
    return [*headers, assertion(value, IMPORTER, SIGNING["ring"])]


async def _send(bootstrap: str, messages: list[tuple[bytes | None, bytes | None, list]]) -> list[tuple[int, int]]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        futures = [await producer.send("appeals.commands", key=m[0], value=m[1], headers=signed(m[1], m[2]),
                                       partition=m[3] if len(m) > 3 else None)
                   for m in messages]
        return [((m := await f).partition, m.offset) for f in futures]
    finally:
        await producer.stop()


def send(bootstrap: str, messages) -> list[tuple[int, int]]:
    return asyncio.run(_send(bootstrap, messages))


def outcomes(bootstrap: str, wanted: set[tuple[int, int]], timeout: float = 90.0) -> dict[tuple[int, int], list]:
    """Every outcome on the log of the commands at `wanted` (partition, offset): events and rejections."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[tuple[int, int], list] = defaultdict(list)
        for record in read_all(bootstrap, "appeals.events"):
            source = dict(record.headers).get("tyndau-command")
            if source:
                partition, offset = (int(x) for x in source.split(b":"))
                if (partition, offset) in wanted:
                    found[(partition, offset)].append(("event", codec.decode(record.value)))
        for record in read_all(bootstrap, "appeals.rejected"):
            try:
                rejected = codec.decode(record.value)
            except codec.DecodeError:
                continue
            where = (rejected["source_partition"], rejected["source_offset"])
            if where in wanted:
                found[where].append((rejected["reason"], rejected))
        if set(found) >= wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def assert_one_outcome_each(found, sent, valid_positions: set[int]) -> None:
    for i, where in enumerate(sent):
        kinds = [kind for kind, _ in found.get(where, [])]
        assert len(kinds) == 1, f"command {i} at {where} has outcomes {kinds}"
        if i in valid_positions:
            assert kinds == ["event"], f"valid command {i} was {kinds}: {found[where][0][1].get('detail')}"
        assert kinds != ["internal_error"], found[where][0][1]["detail"]


def verify_clean(worker) -> dict:
    done = worker.cli("verify", "--api", worker.url(""), "--format", "json")
    report = json.loads(done.stdout)
    assert report["ok"], json.dumps(report)[:3000]
    return report


def test_a_poison_command_in_a_batch_of_valid_ones(own_worker):
    """Done when: the valid commands are appended, the poison ones rejected, the chains verify."""
    appeal_id, pair = valid_pair()
    route = {"type": "route", "command_id": f"{appeal_id}-r", "appeal_id": appeal_id, "at": "2003-01-14T10:00:00+05:00",
             "to_body": "roads-department", "reason": "competence"}
    key = appeal_id.encode()
    poison = [(key, b'{"type": [], "appeal_id": "%s"}' % key, []),
              (key, b'{"type": "answer", "command_id": "\\ud800", "appeal_id": "%s"}' % key, []),
              (key, b"[" * 5000 + b"]" * 5000, []),
              (key, json.dumps(dict(route, command_id=f"{appeal_id}-x", to_body={"a": 1})).encode(), []),
              (key, json.dumps(dict(route, command_id=f"{appeal_id}-y", at="9999-01-01T00:00:00+05:00")).encode(), []),
              (key, b"x" * 70_000, []),
              (key, json.dumps(dict(route, command_id=f"{appeal_id}-z")).encode(), [], (partition_of(key) + 1) % 4)]
    messages = [pair[0], poison[0], poison[1], (key, json.dumps(route).encode(), []), *poison[2:], pair[1]]
    sent = send(own_worker.bootstrap, messages)
    found = outcomes(own_worker.bootstrap, set(sent))
    assert_one_outcome_each(found, sent, valid_positions={0, 3, len(messages) - 1})
    reasons = [found[where][0][0] for where in sent]
    assert reasons == ["event", "unknown_type", "malformed", "event", "malformed", "invalid_field", "invalid_field",
                       "too_large", "wrong_partition", "event"]
    events = [found[where][0][1] for where in sent if found[where][0][0] == "event"]
    assert [e["sequence"] for e in events] == [1, 2, 3] and chain_problems(events) == []
    verify_clean(own_worker)


def hostile_messages():
    key = st.sampled_from([b"hx", b"\xff\xfe", b"", None]) | st.binary(max_size=40)
    raw = st.tuples(key, st.none() | st.binary(max_size=400), st.just([])).filter(lambda m: m[0] is not None or m[1] is not None)
    any_json = st.builds(lambda v: (b"hx", json.dumps(v).encode(), []), json_values)

    def one_field(path, value):
        appeal_id = new_id("hx")
        command = dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1")
        return appeal_id.encode(), mutated(command, path, value), []
    fields = st.builds(one_field, st.sampled_from(FIELD_PATHS), nasty_values)
    odd = st.sampled_from([(b"hx", b'{"type": "file", "command_id": "\\ud800"}', []), (b"hx", b"{" * 3000, []),
                           (b"hx", b'{"a": 1}' + b" " * 66_000, []), (b"hx", b"{}", [("tyndau-request-id", b"\xff\xff")])])
    return st.lists(raw | any_json | fields | odd, min_size=8, max_size=24)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile=hostile_messages())
def test_fuzzed_commands_straight_to_kafka_mixed_with_valid_ones(own_worker, hostile):
    messages, valid = [], set()
    for chunk in range(3):
        _, pair = valid_pair()
        for message in pair:
            valid.add(len(messages))
            messages.append(message)
        messages += hostile[chunk::3]
    sent = send(own_worker.bootstrap, messages)
    assert_one_outcome_each(outcomes(own_worker.bootstrap, set(sent)), sent, valid)


def request(worker, method: str, path: str, body: bytes | None = None, content_type: str | None = "application/json"):
    connection = http.client.HTTPConnection("127.0.0.1", worker.http_port, timeout=70)
    headers = {"Content-Type": content_type} if content_type else {}
    headers["Authorization"] = f"Bearer {worker.token('importer' if path.startswith('/v1/commands') else 'auditor')}"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            json.loads(raw)   # what says it is JSON is JSON
        return response.status, raw
    finally:
        connection.close()


def quoted(value) -> str:
    return urllib.parse.quote(str(value), safe="", errors="surrogatepass")


def http_cases():
    text = nasty_values.map(quoted) | st.text(max_size=30).map(quoted)
    bodies = (st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
              | st.builds(lambda p, v: mutated(dict(FILING, appeal_id=new_id("hh"), command_id=new_id("hc")), p, v),
                          st.sampled_from(FIELD_PATHS), nasty_values))
    content_types = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                     "application/x-www-form-urlencoded", "application/json; charset=latin-1", None])
    post_command = st.builds(lambda wait, body, ct: ("POST", f"/v1/commands?wait={wait}", body, ct),
                             st.sampled_from(["0", "0.5", "-1", "nan", "inf", "abc", "1e400"]), bodies, content_types)
    typed = st.builds(lambda kind, body: ("POST", f"/v1/commands/{kind}?wait=0", body, "application/json"),
                      st.sampled_from(["answer", "rate", "nope", "%00", "..%2f"]), bodies)
    gets = st.builds(lambda path, a, b: ("GET", path.format(a=a, b=b), None, None), st.sampled_from([
        "/v1/ranking?by={a}&from={b}", "/v1/ranking?region={a}&to={b}", "/v1/kpis?from={a}&today={b}", "/v1/trend?days={a}&to={b}",
        "/v1/overdue?limit={a}&today={b}", "/v1/escalations?limit={a}", "/v1/appeals/{a}/history?as_of={b}",
        "/v1/appeals/{a}/history?personal={b}", "/v1/outcomes/{a}", "/static/{a}", "/v1/admin/rebuild?x={a}"]), text, text)
    named = st.builds(lambda name, body: ("POST", f"/v1/query/{name}", body, "application/json"),
                      st.sampled_from(["ranking", "history", "appeal_states", "trend", "nope"]),
                      bodies | json_values.map(lambda v: json.dumps({"limit": v, "offset": 0, "appeal_id": v}).encode()))
    return post_command | typed | gets | named


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=http_cases())
def test_http_never_answers_5xx_to_a_fuzzed_request(own_worker, case):
    method, path, body, content_type = case
    status, raw = request(own_worker, method, path, body, content_type)
    assert status < 500, (status, raw[:500], case)


def test_http_bounds_and_errors_are_named(own_worker):
    too_big = json.dumps(dict(FILING, text="x" * 70_000)).encode()
    status, raw = request(own_worker, "POST", "/v1/commands", too_big)
    assert status == 413 and "at most 65536" in json.loads(raw)["error"]
    status, raw = request(own_worker, "POST", "/v1/commands", json.dumps(FILING).encode(), "text/plain")
    assert status == 415 and "application/json" in json.loads(raw)["error"]
    for body, words in ((b"[" * 2000 + b"]" * 2000, "depth"), (b'"\xff"', "UTF-8"), (b"{nope", "not JSON"), (b"[1]", "object")):
        status, raw = request(own_worker, "POST", "/v1/commands", body)
        assert status == 400 and words in json.loads(raw)["error"], (body[:20], raw)
    status, raw = request(own_worker, "GET", "/v1/ranking?from=0001-01-01")
    assert status == 400 and "from must be a date" in json.loads(raw)["error"]
    status, raw = request(own_worker, "POST", "/v1/query/ranking", b'{"by": "citizen_ref"}')
    assert status == 400 and "takes by, from, region, regions, stage, to, today" in json.loads(raw)["error"]
    appeal_id, pair = valid_pair()
    status, raw = request(own_worker, "POST", "/v1/commands?wait=10", pair[0][1])
    assert status == 201 and json.loads(raw)["event"]["appeal_id"] == appeal_id


def batch_with_invalid_header_name(records: list[tuple[bytes, bytes]]) -> bytes:
    """A record batch whose first record carries a header name that is not UTF-8 (CRC fixed up):
    no well-behaved client writes one, but the broker stores what it is sent."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, (key, value) in enumerate(records):
        builder.append(i, timestamp=None, key=key, value=value, headers=signed(value, [("QQ", b"v")] if i == 0 else []))
    raw = bytearray(builder.build())
    at = raw.index(b"QQ")
    raw[at:at + 2] = b"\xc3\x28"
    struct.pack_into(">I", raw, 17, calc_crc32c(bytes(raw[21:])))   # v2: the CRC covers everything after it
    return bytes(raw)


def test_a_header_name_that_is_not_utf8_stops_no_consumer(own_worker):
    appeal_id, pair = valid_pair()
    second_id, second = valid_pair()
    raw = batch_with_invalid_header_name([pair[0][:2], (b"hx", b'{"bad": "header"}'), second[0][:2]])

    async def send_raw() -> int:
        producer = AIOKafkaProducer(bootstrap_servers=own_worker.bootstrap)
        await producer.start()
        try:
            batch = producer.create_batch()
            batch.append(key=b"x", value=b"x", timestamp=None)
            batch._build = lambda: bytearray(raw)   # the crafted bytes go out instead
            meta = await (await producer.send_batch(batch, "appeals.commands", partition=partition_of(appeal_id.encode())))
            return meta.partition, meta.offset
        finally:
            await producer.stop()

    partition, base = asyncio.run(send_raw())
    assert partition == partition_of(appeal_id.encode())
    sent = [(partition, base + i) for i in range(3)]
    found = outcomes(own_worker.bootstrap, set(sent))
    kinds = [[kind for kind, _ in found.get(where, [])] for where in sent]
    second_on_its_partition = partition_of(second_id.encode()) == partition
    assert kinds == [["event"], ["unknown_type"], ["event" if second_on_its_partition else "wrong_partition"]], kinds
    status, raw_answer = request(own_worker, "POST", "/v1/commands?wait=10", pair[1][1])   # the ledger goes on
    assert status == 201, raw_answer
    assert own_worker.crashes() == [] and own_worker.proc.poll() is None
    assert "header name that is not UTF-8" in own_worker.log_path.read_text(errors="replace")


def test_after_the_fuzzing_verify_is_clean_and_nothing_crashed(own_worker):
    assert own_worker.proc.poll() is None, "the worker is still running"
    assert own_worker.crashes() == []
    log = own_worker.log_path.read_text(errors="replace")
    assert "internal error" not in log
    assert "Aida" not in log and "900101301233" not in log, "no personal data in the worker's log"
    verify_clean(own_worker)


def test_garbage_written_straight_to_the_ledger_is_reported_not_fatal(own_worker):
    """Records that are not the ledger's writing: the projector records and skips them, recovery and the
    outcome follower skip them, and verify names them; the worker keeps judging, after a SIGKILL too."""
    bootstrap = own_worker.bootstrap

    async def forge() -> list[tuple[str, int, int]]:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            out = []
            for topic in ("appeals.events", "appeals.rejected"):
                meta = await producer.send_and_wait(topic, key=b"forged", value=b"\xc3\x01not an event")
                out.append((topic, meta.partition, meta.offset))
            return out
        finally:
            await producer.stop()

    forged = asyncio.run(forge())
    own_worker.kill()
    own_worker.start()   # recovery folds past the garbage; the probe filing proves the ledger judges again
    appeal_id, pair = valid_pair()
    status, raw = request(own_worker, "POST", "/v1/commands?wait=10", pair[0][1])
    assert status == 201
    done = own_worker.cli("verify", "--api", own_worker.url(""), "--format", "json")
    report = json.loads(done.stdout)
    assert done.returncode == 1 and not report["ok"]
    _, partition, offset = forged[0]
    assert [(p["partition"], p["offset"]) for p in report["problems"]] == [(partition, offset)]
    assert "undecodable" in report["problems"][0]["problem"]
    assert [(e["partition"], e["offset"], e["appeal_id"]) for e in report["projection_errors"]] == [(partition, offset, "forged")]
    assert report["projection_mismatches"] == []
    text = own_worker.cli("verify", "--api", own_worker.url(""))
    assert f"NOT PROJECTED appeals.events partition {partition}, offset {offset} (appeal forged)" in text.stdout
    assert own_worker.crashes() == []
