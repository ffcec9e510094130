"""Inclusion proofs of an appeal's events, and their check by hand or by `tyndau prove --check FILE`.

A proof document (GET /v1/appeals/{id}/proof, `tyndau prove APPEAL_ID --format json`) holds the signed checkpoint
it is proven against (`checkpoint.note`, a C2SP signed note over "<origin>/<partition>", the tree size, the root)
and, per event, `partition`, `leaf_index`, `tree_size`, `leaf` (the event's hash), `audit_path` and `root`, hashes
in lowercase hex. Checking needs nothing of tyndau's: verify the note with the published verifier key, take size
and root from its text, and for each event run RFC 9162 §2.1.3.2 on (leaf, leaf_index, tree_size, audit_path)
up to the checkpoint's root (README "Checkpoints").

A proof shows that a hash is in the signed log; that the hash is the event's content is the hash chain's part
(the dossier and `tyndau history` check it on the log's bytes).
"""

from __future__ import annotations

import re
from typing import Any

from .. import settings
from ..domain import merkle
from ..domain.checkpoint import NoteError, Verifier, open_note, parse_checkpoint

HEX = re.compile(r"[0-9a-f]{64}")


def check_proof(document: Any, verifiers: list[Verifier]) -> tuple[int, list[str]]:
    """(events proven, problems) of a proof document; no problems: every event is in the signed tree. A dossier's
    JSON (`tyndau dossier --json`) holds one under "proof"."""
    if isinstance(document, dict) and "checkpoint" not in document and isinstance(document.get("proof"), dict):
        document = document["proof"]
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), dict) or not isinstance(
            document.get("events"), list):
        return 0, ["not a proof document: it has a checkpoint and a list of events"]
    try:
        text, _ = open_note(document["checkpoint"].get("note"), verifiers)
        head = parse_checkpoint(text)
    except NoteError as error:
        return 0, [f"the checkpoint does not verify: {error}"]
    proven, problems = 0, []
    for n, event in enumerate(document["events"]):
        where = f"event {event.get('sequence', n + 1) if isinstance(event, dict) else n + 1}"
        problem = _event_problem(event, head)
        if problem:
            problems.append(f"{where}: {problem}")
        else:
            proven += 1
    return proven, problems


def _event_problem(event: Any, head) -> str | None:
    if not isinstance(event, dict):
        return "not an object"
    leaf, path, index, size, root = (event.get(k) for k in ("leaf", "audit_path", "leaf_index", "tree_size", "root"))
    if not (isinstance(leaf, str) and HEX.fullmatch(leaf) and isinstance(root, str) and HEX.fullmatch(root)
            and isinstance(path, list) and all(isinstance(p, str) and HEX.fullmatch(p) for p in path) and len(path) <= 64
            and type(index) is int and type(size) is int):
        return "leaf, root and audit_path must be 64 lowercase hex digits each, leaf_index and tree_size numbers"
    if size != head.size or bytes.fromhex(root) != head.root:
        return f"proven against a tree of {size} with another root than the checkpoint's ({head.size} records)"
    base, _, partition = head.origin.rpartition("/")
    if base != settings.CHECKPOINT_ORIGIN:
        return f"the checkpoint is of another log ({head.origin!r}; this one's are {settings.CHECKPOINT_ORIGIN}/<partition>)"
    if str(event.get("partition")) != partition:
        return f"of partition {event.get('partition')}, but the checkpoint is of partition {partition}"
    if not merkle.verify_inclusion(bytes.fromhex(leaf), index, size, [bytes.fromhex(p) for p in path], head.root):
        return f"its hash is not leaf {index} of the signed tree of {size} records"
    return None
