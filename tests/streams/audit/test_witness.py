"""`tyndau verify --witness` (streams/audit/witness.py) on leaves and witness files made here: a log that kept every
checkpointed record verifies; one that lost its last records, or had one removed or changed in the middle (a whole
appeal taken out), is reported with the partition and the size; a checkpoint signed by another key, or of another
log, is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timezone

from streams import settings
from streams.audit.witness import check_witnesses
from streams.domain import merkle
from streams.domain.checkpoint import Signer
from streams.kafka.checkpoints import checkpoint_record

SIGNER = Signer("tyndau-witness-test", bytes([7]) * 32)
NOW = datetime(2026, 12, 2, 9, tzinfo=timezone.utc)


def leaves(n: int, tag: str = "") -> list[bytes]:
    return [hashlib.sha256(f"{tag}{i}".encode()).digest() for i in range(n)]


def witness_file(tmp_path, heads: dict[int, list[bytes]], signer: Signer = SIGNER, name: str = "w.json"):
    records = [checkpoint_record(p, len(ls), merkle.MemoryTree(ls).root(), signer, NOW) for p, ls in heads.items()]
    path = tmp_path / name
    path.write_text(json.dumps({"checkpoints": [{**r, "written_at": NOW.isoformat(),
                                                 "signature": base64.b64encode(r["signature"]).decode()} for r in records]}))
    return path


def test_a_log_that_only_grew_is_consistent_with_every_earlier_checkpoint(tmp_path):
    log = {0: leaves(40, "a"), 1: leaves(7, "b")}
    early = witness_file(tmp_path, {0: log[0][:13], 1: log[1][:1]}, name="early.json")
    now = witness_file(tmp_path, {0: log[0], 1: log[1]}, name="now.json")
    assert check_witnesses(log, [early, now], [SIGNER.verifier]) == (4, [])


def test_removed_last_records_and_a_rewritten_middle_are_named_by_partition_and_size(tmp_path):
    log = {0: leaves(40, "a"), 1: leaves(20, "b")}
    kept = witness_file(tmp_path, {0: log[0][:30], 1: log[1][:20]})
    rewritten = {0: log[0][:12] + log[0][14:],   # two records (one appeal's) taken out of the middle
                 1: log[1][:18]}                 # the last two gone
    checked, problems = check_witnesses(rewritten, [kept], [SIGNER.verifier])
    assert checked == 2
    assert [(p["partition"], p["size"]) for p in problems] == [(0, 30), (1, 20)]
    assert "are not those this checkpoint signed" in problems[0]["problem"]
    assert "holds 18 records on partition 1, fewer than the 20" in problems[1]["problem"]


def test_a_changed_record_at_the_checkpoints_edge_is_found(tmp_path):
    log = leaves(16)
    kept = witness_file(tmp_path, {0: log})
    changed = log[:15] + [hashlib.sha256(b"forged").digest()] + leaves(5, "later")
    [problem] = check_witnesses({0: changed}, [kept], [SIGNER.verifier])[1]
    assert (problem["partition"], problem["size"]) == (0, 16)


def test_another_key_another_log_or_a_broken_file_is_reported(tmp_path, monkeypatch):
    log = {0: leaves(5)}
    other = witness_file(tmp_path, log, signer=Signer("tyndau-witness-test", bytes([8]) * 32), name="other.json")
    [problem] = check_witnesses(log, [other], [SIGNER.verifier])[1]
    assert problem["problem"].startswith("the checkpoint does not verify: no signature on the note is by a known key")
    monkeypatch.setattr(settings, "CHECKPOINT_ORIGIN", "elsewhere/appeals.events")
    foreign = witness_file(tmp_path, log, name="foreign.json")
    monkeypatch.setattr(settings, "CHECKPOINT_ORIGIN", "tyndau/appeals.events")
    [problem] = check_witnesses(log, [foreign], [SIGNER.verifier])[1]
    assert "the checkpoint is of another log ('elsewhere/appeals.events/0'" in problem["problem"]
    broken = tmp_path / "broken.json"
    broken.write_text("{\"checkpoints\": 5}")
    [problem] = check_witnesses(log, [broken, tmp_path / "missing.json"], [SIGNER.verifier])[1][:1]
    assert "no list of checkpoints" in problem["problem"]
    empty = tmp_path / "empty.json"
    empty.write_text("{\"checkpoints\": []}")   # a witness that kept nothing: never "consistent"
    [problem] = check_witnesses(log, [empty], [SIGNER.verifier])[1]
    assert "holds no checkpoint" in problem["problem"]
