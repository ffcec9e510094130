"""`tyndau verify`: the log is the source of truth; check every chain in it and the projections against it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Callable

from aiokafka.admin import AIOKafkaAdminClient

from .. import topics
from ..avro import codec
from ..domain.appeal import AppealState, evolve
from ..domain.chain import GENESIS_HASH, event_hash
from ..domain.merkle import record_leaf
from ..kafka.security import connection
from ..kafka.topic_reader import TopicReader

COMPARED = ("sequence", "last_hash", "status", "region", "body", "due_on", "answered_on", "on_time", "escalations",
            "ratings", "satisfied")


@dataclass
class ChainCursor:
    next_sequence: int = 1
    last_hash: str = GENESIS_HASH
    state: AppealState | None = None
    events: int = 0


@dataclass
class Report:
    events: int = 0
    appeals: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    projection_errors: list[dict[str, Any]] = field(default_factory=list)   # events the projector could not project
    skipped_newer: int = 0
    witness_checkpoints: int = 0                                             # checkpoints of witnesses checked
    witness_problems: list[dict[str, Any]] = field(default_factory=list)    # where the log departs from one

    @property
    def ok(self) -> bool:
        return not self.problems and not self.mismatches and not self.projection_errors and not self.witness_problems

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "events": self.events, "appeals": self.appeals, "problems": self.problems,
                "projection_mismatches": self.mismatches, "projection_errors": self.projection_errors,
                "appeals_newer_in_projection": self.skipped_newer, "witness_checkpoints": self.witness_checkpoints,
                "witness_problems": self.witness_problems}


EVENT_FIELDS = frozenset({"appeal_id", "sequence", "prev_hash", "hash"})   # what check_event reads of every event


def check_event(cursors: dict[str, ChainCursor], event: dict[str, Any], where: dict[str, Any], report: Report) -> None:
    cursor = cursors.setdefault(event["appeal_id"], ChainCursor())
    seq = event["sequence"]
    base = {"appeal_id": event["appeal_id"], "sequence": seq, **where}
    if seq != cursor.next_sequence:
        what = "a second event with this sequence" if seq < cursor.next_sequence else f"a gap: sequence {cursor.next_sequence} is missing"
        report.problems.append({**base, "problem": what})
    if event["prev_hash"] != cursor.last_hash:
        report.problems.append({**base, "problem": "prev_hash does not match the previous event's hash"})
    if event_hash(event) != event["hash"]:
        report.problems.append({**base, "problem": "hash does not match the event's content (changed after it was written)"})
    if seq >= cursor.next_sequence:
        cursor.next_sequence, cursor.last_hash = seq + 1, event["hash"]
        try:
            cursor.state = evolve(cursor.state, event)
        except (ValueError, KeyError) as error:
            report.problems.append({**base, "problem": f"cannot be applied to the appeal: {error}"})
    cursor.events += 1


def take(value: bytes | None, where: dict[str, Any], cursors: dict[str, ChainCursor], report: Report,
         leaves: dict[int, list[bytes]] | None) -> None:
    """One record of appeals.events: its chain checked, or why it is no appeal event; its leaf collected."""
    leaf = record_leaf(value)
    try:
        event = codec.decode_as_written(value)
    except Exception as error:  # any bytes at all may be on the log: fastavro raises several kinds
        report.problems.append({"appeal_id": None, "sequence": None, **where,
                                "problem": f"undecodable: {type(error).__name__}: {error}"})
        event = None
    else:
        if not isinstance(event, dict) or not EVENT_FIELDS <= event.keys():   # another record type's bytes
            report.problems.append({"appeal_id": None, "sequence": None, **where,
                                    "problem": "not an appeal event (a record of another schema)"})
            event = None
    if event is not None:
        leaf = record_leaf(value, event.get("hash"))
        check_event(cursors, event, where, report)
    if leaves is not None:
        leaves.setdefault(where["partition"], []).append(leaf)


async def read_log(bootstrap: str, progress: Callable[[int, int], None] | None = None,
                   leaves: dict[int, list[bytes]] | None = None) -> tuple[dict[str, ChainCursor], Report, dict]:
    """The log's chains checked; with `leaves`, each partition's Merkle leaves collected too (for witnesses)."""
    report, cursors = Report(), {}
    # What every reader of the ledger sees: committed records (a fenced worker's aborted writes are no events).
    async with TopicReader(bootstrap, topics.EVENTS) as reader:
        async for tp, records in reader.batches():
            for record in records:
                report.events += 1
                take(record.value, {"partition": tp.partition, "offset": record.offset}, cursors, report, leaves)
            if progress:
                progress(report.events, reader.total)
        ends = reader.ends
    report.appeals = len(cursors)
    return cursors, report, ends


async def projector_caught_up(bootstrap: str, ends: dict, timeout: float = 120.0) -> bool:
    """Wait until the projector's committed offsets reach the ends this verification read to."""
    admin = AIOKafkaAdminClient(**connection(bootstrap))
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            committed = await admin.list_consumer_group_offsets(topics.PROJECTOR_GROUP)
            if all(tp in committed and committed[tp].offset >= end for tp, end in ends.items() if end > 0):
                return True
            await asyncio.sleep(0.5)
        return False
    finally:
        await admin.close()


def compare(cursors: dict[str, ChainCursor], rows: list[dict[str, Any]], report: Report) -> None:
    """Each appeal's projected state and event count against the fold of its events in the log."""
    seen = set()
    for row in rows:
        appeal_id = row["appeal_id"]
        seen.add(appeal_id)
        cursor = cursors.get(appeal_id)
        if cursor is None or cursor.state is None:
            report.mismatches.append({"appeal_id": appeal_id, "field": "appeal", "projection": "present", "log": "absent"})
            continue
        if row["sequence"] is not None and row["sequence"] > cursor.state.sequence:
            report.skipped_newer += 1      # appended after this verification read the log
            continue
        expected = {name: getattr(cursor.state, name) for name in COMPARED}
        for name in COMPARED:
            got = row.get(name)
            if got != expected[name]:
                report.mismatches.append({"appeal_id": appeal_id, "field": name, "projection": str(got), "log": str(expected[name])})
        if row.get("events") != cursor.state.sequence:
            report.mismatches.append({"appeal_id": appeal_id, "field": "events", "projection": str(row.get("events")),
                                      "log": str(cursor.state.sequence)})
    for appeal_id, cursor in cursors.items():
        if cursor.state is not None and appeal_id not in seen:
            report.mismatches.append({"appeal_id": appeal_id, "field": "appeal", "projection": "absent", "log": "present"})
