"""`tyndau verify --witness FILE...`: is the log now consistent with every checkpoint a witness kept?

A witness file is what `tyndau checkpoint --export` and GET /v1/checkpoints/latest give: {"checkpoints": [...]},
each a LedgerCheckpoint whose `note` is a C2SP signed note over a tlog-checkpoint of "<origin>/<partition>". Each
note must verify with a known key (the deployment's TYNDAU_CHECKPOINT_KEY and _KEYS_PREVIOUS, or the keys given);
then the partition's tree is rebuilt from the log as it is now (every committed record a leaf, in log order:
streams/domain/merkle.record_leaf), and an RFC 9162 consistency proof from the checkpoint's size to the log's
size must join the checkpoint's root to the log's. Where it does not, the report names the partition and the size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import settings
from ..domain import merkle
from ..domain.checkpoint import NoteError, Verifier, open_note, parse_checkpoint

MAX_WITNESS_FILE = 64 * 1024 * 1024


def read_witness_file(path: Path) -> list[dict[str, Any]]:
    """The checkpoints of a witness file (JSON: {"checkpoints": [...]}, or a list of them); ValueError says why not."""
    if path.stat().st_size > MAX_WITNESS_FILE:
        raise ValueError(f"{path}: larger than {MAX_WITNESS_FILE // 2**20} MB")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a JSON witness file ({error})") from None
    found = data.get("checkpoints") if isinstance(data, dict) else data
    if not isinstance(found, list) or not all(isinstance(c, dict) and isinstance(c.get("note"), str) for c in found):
        raise ValueError(f"{path}: no list of checkpoints, each with its signed note")
    if not found:   # a witness that kept nothing proves nothing: never an "ok"
        raise ValueError(f"{path}: holds no checkpoint")
    return found


def check_witnesses(leaves: dict[int, list[bytes]], files: list[Path], verifiers: list[Verifier]) -> tuple[int, list[dict]]:
    """(checkpoints checked, problems) of the witness files against the log's leaves per partition."""
    trees: dict[int, merkle.MemoryTree] = {}
    checked, problems = 0, []
    for path in files:
        try:
            found = read_witness_file(path)
        except (OSError, ValueError) as error:
            problems.append({"witness": str(path), "partition": None, "size": None, "problem": str(error)})
            continue
        for checkpoint in found:
            checked += 1
            problem, partition, size = _check(checkpoint["note"], leaves, trees, verifiers)
            if problem:
                problems.append({"witness": str(path), "partition": partition, "size": size,
                                 "written_at": checkpoint.get("written_at"), "problem": problem})
    return checked, problems


def _check(note: str, leaves: dict[int, list[bytes]], trees: dict[int, merkle.MemoryTree],
           verifiers: list[Verifier]) -> tuple[str | None, int | None, int | None]:
    try:
        text, _ = open_note(note, verifiers)
        head = parse_checkpoint(text)
    except NoteError as error:
        return f"the checkpoint does not verify: {error}", None, None
    base, _, number = head.origin.rpartition("/")
    if base != settings.CHECKPOINT_ORIGIN or not number.isdigit() or str(int(number)) != number:
        return f"the checkpoint is of another log ({head.origin!r}; this one's are {settings.CHECKPOINT_ORIGIN}/<partition>)", None, head.size
    partition = int(number)
    if partition not in trees:
        trees[partition] = merkle.MemoryTree(leaves.get(partition, []))
    tree = trees[partition]
    if head.size > tree.size:
        return (f"the log holds {tree.size} records on partition {partition}, fewer than the {head.size} this checkpoint "
                "signed: records were removed"), partition, head.size
    proof = merkle.consistency_proof(tree.perfect, head.size, tree.size)
    if not merkle.verify_consistency(head.size, tree.size, head.root, tree.root(), proof):
        return (f"the first {head.size} records of partition {partition} are not those this checkpoint signed: the log "
                "was rewritten (a record removed, changed or put in its place)"), partition, head.size
    return None, partition, head.size
