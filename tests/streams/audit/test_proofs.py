"""Checking a proof document offline (streams/audit/proofs.py): what the proof endpoint gives verifies against its
signed checkpoint; an event that is not in the tree, a checkpoint signed with another key, or a proof against
another tree does not."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timezone

from streams.audit.proofs import check_proof
from streams.domain import merkle
from streams.domain.checkpoint import Signer
from streams.kafka.checkpoints import checkpoint_record

SIGNER = Signer("tyndau-proof-test", bytes([4]) * 32)
LEAVES = [hashlib.sha256(f"e{i}".encode()).digest() for i in range(21)]


def document(partition: int = 2, size: int = 21, signer: Signer = SIGNER) -> dict:
    tree = merkle.MemoryTree(LEAVES)
    record = checkpoint_record(partition, size, tree.root(size), signer, datetime(2026, 12, 2, tzinfo=timezone.utc))
    events = [{"sequence": n + 1, "partition": partition, "leaf_index": i, "tree_size": size, "leaf": LEAVES[i].hex(),
               "audit_path": [h.hex() for h in merkle.inclusion_path(tree.perfect, i, size)], "root": tree.root(size).hex()}
              for n, i in enumerate((3, 11, 20)) if i < size]
    return {"checkpoint": {"note": record["note"]}, "events": events}


def test_a_proof_document_verifies_against_its_signed_checkpoint():
    assert check_proof(document(), [SIGNER.verifier]) == (3, [])


def test_a_dossier_s_json_is_checked_by_the_proof_it_holds():
    """`tyndau dossier --json` nests the proof document under "proof": `tyndau prove --check` takes it as it is."""
    assert check_proof({"appeal_id": "A-1", "events": [], "proof": document()}, [SIGNER.verifier]) == (3, [])


def test_an_event_not_in_the_tree_fails():
    doc = document()
    doc["events"][1]["leaf"] = hashlib.sha256(b"never written").hexdigest()
    proven, [problem] = check_proof(doc, [SIGNER.verifier])
    assert proven == 2 and problem == "event 2: its hash is not leaf 11 of the signed tree of 21 records"


def test_a_checkpoint_signed_with_another_key_fails():
    other = Signer("tyndau-proof-test", bytes([5]) * 32)
    proven, [problem] = check_proof(document(signer=other), [SIGNER.verifier])
    assert proven == 0 and problem.startswith("the checkpoint does not verify: no signature on the note is by a known key")


def test_a_proof_against_another_tree_or_partition_or_malformed_fails():
    doc = document()
    small = document(size=12)
    mixed = copy.deepcopy(doc)
    mixed["events"][0] = small["events"][0]
    assert check_proof(mixed, [SIGNER.verifier])[1] == [
        "event 1: proven against a tree of 12 with another root than the checkpoint's (21 records)"]
    moved = copy.deepcopy(doc)
    moved["events"][2]["partition"] = 1
    assert "but the checkpoint is of partition 2" in check_proof(moved, [SIGNER.verifier])[1][0]
    broken = copy.deepcopy(doc)
    broken["events"][0]["audit_path"] = ["zz"]
    assert "64 lowercase hex digits" in check_proof(broken, [SIGNER.verifier])[1][0]
    assert check_proof({"events": []}, [SIGNER.verifier]) == (0, ["not a proof document: it has a checkpoint and a list of events"])


def test_a_checkpoint_of_another_log_proves_nothing_here(monkeypatch):
    from streams import settings

    monkeypatch.setattr(settings, "CHECKPOINT_ORIGIN", "elsewhere/appeals.events")
    doc = document()
    monkeypatch.setattr(settings, "CHECKPOINT_ORIGIN", "tyndau/appeals.events")
    proven, problems = check_proof(doc, [SIGNER.verifier])
    assert proven == 0 and all("the checkpoint is of another log" in p for p in problems) and len(problems) == 3
