"""Signed checkpoints end to end on a broker and a worker of the test's own (issue 17): the worker signs every
partition's tree on demand; anyone reads them without a token; a witness exports them; `tyndau verify --witness`
finds the log consistent with them, and, once the real broker's partition is rewritten (an appeal's last event
taken out; then a whole appeal, and the projection rebuilt to match), names the partition and the size where it no
longer is, while every hash chain still verifies and the log and the projection agree (what they cannot show)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.request
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from streams import settings, topics
from streams.avro import codec
from streams.domain.checkpoint import Signer, open_note, parse_checkpoint, parse_verifier
from streams.kafka.admin import ensure_topics
from tests.support.kafka_reading import read_all
from tests.support.messages import FILING

pytestmark = pytest.mark.integration


def public_get(worker, path: str) -> dict:
    with urllib.request.urlopen(worker.url(path), timeout=60) as response:   # no Authorization header
        return json.loads(response.read())


async def rewrite_events(bootstrap: str, records: list, leave_out) -> None:
    """What someone able to rewrite the broker's log does: appeals.events deleted and written again, in the same
    partitions and order, without the records `leave_out` picks."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topics.EVENTS])
        deadline = time.monotonic() + 60
        while topics.EVENTS in await admin.list_topics():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            await asyncio.to_thread(ensure_topics, bootstrap)
            break
        except Exception:   # still being deleted
            assert time.monotonic() < deadline
            await asyncio.sleep(1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for r in records:
            if not leave_out(r):
                await producer.send_and_wait(topics.EVENTS, r.value, key=r.key, partition=r.partition,
                                             headers=list(r.headers or ()))
    finally:
        await producer.stop()


def verify_witness(worker, *files: str) -> dict:
    done = worker.cli("verify", "--log-only", "--format", "json", "--witness", *files, role=None)
    report = json.loads(done.stdout)
    assert done.returncode == (0 if report["ok"] else 1), done.stderr
    return report


def test_checkpoints_are_signed_public_exported_and_catch_a_rewritten_partition(own_worker, tmp_path):
    worker = own_worker   # a broker and a worker of this module's own: the test rewrites the broker's log
    appeals = [f"ck-{uuid.uuid4().hex[:8]}" for _ in range(12)]
    for appeal_id in appeals:
        for command in (dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1"),
                        {"type": "answer", "command_id": f"{appeal_id}-2", "appeal_id": appeal_id,
                         "at": "2003-01-20T10:00:00+05:00", "outcome": "resolved", "text": "done"}):
            status, body = worker.post("/v1/commands?wait=10", command)
            assert status == 201, body
    records = read_all(worker.bootstrap, topics.EVENTS)
    per_partition = {p: sum(r.partition == p for r in records) for p in range(settings.PARTITIONS)}
    deadline = time.monotonic() + 60
    while any(worker.post("/v1/query/merkle_size", {"partition": p})[1][0]["size"] < n for p, n in per_partition.items()):
        assert time.monotonic() < deadline, "the projector did not write every leaf within 60 s"
        time.sleep(0.3)

    status, signed = worker.post("/v1/admin/checkpoint", {})
    assert status == 201, signed
    keys = [parse_verifier(k) for k in public_get(worker, "/v1/checkpoints/keys")["keys"]]
    heads = {}
    for record in signed["checkpoints"]:
        head = parse_checkpoint(open_note(record["note"], keys)[0])
        heads[record["trees"][0]["partition"]] = head.size
        assert head.origin == f"{settings.CHECKPOINT_ORIGIN}/{record['trees'][0]['partition']}"
    assert heads == per_partition
    assert [c["note"] for c in public_get(worker, "/v1/checkpoints/latest")["checkpoints"]] == [
        c["note"] for c in signed["checkpoints"]]
    # An appeal's inclusion proofs against that checkpoint: made by the worker, checked offline; an event that is not
    # in the tree, or a checkpoint signed with another key, does not check.
    proof_file = tmp_path / "proof.json"
    done = worker.cli("prove", appeals[0], "--out", str(proof_file), "--api", worker.url(""), role="auditor")
    assert done.returncode == 0, done.stderr
    proof = json.loads(proof_file.read_text())
    assert [e["sequence"] for e in proof["events"]] == [1, 2] and proof["pending"] == []
    assert all(e["tree_size"] == heads[e["partition"]] and len(e["leaf"]) == 64 for e in proof["events"])
    checked = worker.cli("prove", "--check", str(proof_file), role=None)
    assert checked.returncode == 0 and "2 events proven" in checked.stdout, checked.stdout + checked.stderr
    forged = dict(proof, events=[dict(proof["events"][0], leaf="ab" * 32), proof["events"][1]])
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    checked = worker.cli("prove", "--check", str(tmp_path / "forged.json"), role=None)
    assert checked.returncode == 1 and "NOT PROVEN event 1: its hash is not leaf" in checked.stdout
    other_key = str(Signer("tyndau-development", bytes([3]) * 32).verifier)   # the same name, another key
    checked = worker.cli("prove", "--check", str(proof_file), "--key", other_key, role=None)
    assert checked.returncode == 1 and "the checkpoint does not verify" in checked.stdout

    # The dossier prints the proofs with the checkpoint they are proven against.
    done = worker.cli("dossier", appeals[0], "--out", str(tmp_path / "d.pdf"), "--purpose", "court case 2-123/2026",
                      "--lang", "ru", "--api", worker.url(""), role="auditor")
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "d.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Доказательство включения в реестр (RFC 9162)" in text
    assert f"{settings.CHECKPOINT_ORIGIN}/{proof['events'][0]['partition']}" in text
    assert f"лист {proof['events'][0]['leaf_index']} / {proof['events'][0]['tree_size']}" in text

    witness = tmp_path / "witness.json"
    done = worker.cli("checkpoint", "--export", str(witness), "--api", worker.url(""), role=None)
    assert done.returncode == 0, done.stderr
    report = verify_witness(worker, str(witness))
    assert report["ok"] and report["witness_checkpoints"] == settings.PARTITIONS, report
    for appeal_id in (f"ck-later-{uuid.uuid4().hex[:8]}" for _ in range(16)):   # the log goes on after the checkpoint
        status, body = worker.post("/v1/commands?wait=10", dict(FILING, appeal_id=appeal_id, command_id=f"{appeal_id}-1"))
        assert status == 201, body
    records = read_all(worker.bootstrap, topics.EVENTS)
    assert verify_witness(worker, str(witness))["ok"]
    worker.stop()   # the log is rewritten behind it; the projection could be too, the witness needs neither

    # 1. One appeal's last event taken out of the checkpointed part of its partition; the log is longer than
    #    the checkpoint all the same, so only the consistency proof can tell.
    growth = {q: sum(r.partition == q for r in records) - n for q, n in per_partition.items()}
    p = max((q for q in per_partition if per_partition[q] >= 2 and growth[q] >= 1), key=growth.get)
    mine = [r for r in records if r.partition == p]
    last_of = {}
    for i, r in enumerate(mine[:per_partition[p]]):
        last_of[r.key] = i
    victim = mine[min(last_of.values())]
    asyncio.run(rewrite_events(worker.bootstrap, records, lambda r: r is victim))
    report = verify_witness(worker, str(witness))
    assert report["problems"] == [], report["problems"]           # every chain still verifies
    [problem] = report["witness_problems"]
    assert (problem["partition"], problem["size"]) == (p, per_partition[p])
    assert "are not those this checkpoint signed" in problem["problem"]

    # 2. A whole appeal taken out (its filing and its answer): the chains verify, the witness does not.
    whole = codec.decode(mine[0].value)["appeal_id"]
    asyncio.run(rewrite_events(worker.bootstrap, records, lambda r: codec.decode(r.value)["appeal_id"] == whole))
    report = verify_witness(worker, str(witness))
    assert report["problems"] == []
    assert [(w["partition"], w["size"]) for w in report["witness_problems"]] == [(p, per_partition[p])]

    # 3. And the projection rebuilt from the rewritten log, as someone covering their tracks would do: the log and
    #    the projection agree and every chain verifies; only the witness's checkpoint tells.
    worker.start()
    rebuilt = worker.tool("rebuild", role="admin")
    assert rebuilt.returncode == 0, rebuilt.stderr
    # The restarted worker may append meanwhile (the deadline watcher's overdue events): the tree is the log's now.
    deadline = time.monotonic() + 60
    while True:
        now = [r for r in read_all(worker.bootstrap, topics.EVENTS) if r.partition == p]
        size = worker.post("/v1/query/merkle_size", {"partition": p})[1][0]["size"]
        if size == len(now) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert size == len(now) and all(codec.decode(r.value)["appeal_id"] != whole for r in now)
    done = worker.tool("verify", "--format", "json", "--witness", str(witness), role="auditor")
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["problems"] == [], report["problems"]
    assert [(w["partition"], w["size"]) for w in report["witness_problems"]] == [(p, per_partition[p])]
