"""appeals.checkpoints: signed checkpoints of each partition's Merkle tree of appeals.events (Avro LedgerCheckpoint).

One record per partition and checkpoint, keyed by the partition number: its `origin` is that partition's log
("<TYNDAU_CHECKPOINT_ORIGIN>/<partition>"), `trees` its one tree head, `note` the C2SP signed note (the
tlog-checkpoint text and its signature line) that tooling and witnesses check, `signature` the Ed25519 signature
over the note's text, `key_id` the signing key's NAME+KEYID. The topic is kept forever and holds no personal data.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from .. import settings, topics
from ..avro import codec
from ..domain.checkpoint import Checkpoint, NoteError, Signer, Verifier, open_note, parse_checkpoint, sign_note
from .security import connection


def origin(partition: int) -> str:
    return f"{settings.CHECKPOINT_ORIGIN}/{partition}"


def checkpoint_record(partition: int, size: int, root: bytes, signer: Signer, now: datetime) -> dict[str, Any]:
    text = Checkpoint(origin(partition), size, root).text()
    note = sign_note(text, signer)
    signature = base64.b64decode(note.rsplit(" ", 1)[1])[4:]
    return {"origin": origin(partition), "written_at": now, "key_id": f"{signer.name}+{signer.verifier.key_id.hex()}",
            "trees": [{"partition": partition, "tree_size": size, "root": root.hex()}], "note": note,
            "signature": signature}


def encode(record: dict[str, Any]) -> bytes:
    return codec.encode(codec.CHECKPOINT, record)


def decode(value: bytes) -> dict[str, Any]:
    return codec.decode(value, codec.CHECKPOINT)


async def publish(records: list[dict[str, Any]], bootstrap: str | None = None) -> None:
    """Each record onto appeals.checkpoints, acknowledged by every in-sync replica."""
    producer = AIOKafkaProducer(**connection(bootstrap), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent = [await producer.send(topics.CHECKPOINTS, key=str(r["trees"][0]["partition"]).encode(), value=encode(r))
                for r in records]
        for future in sent:
            await future
    finally:
        await producer.stop()


def genuine(value: dict[str, Any], verifiers: list[Verifier]) -> bool:
    """Whether a LedgerCheckpoint's note opens with one of `verifiers` and says what its fields say: its partition's
    origin, its tree size and root. Anyone allowed to write the topic could write a record; only these count."""
    try:
        tree = value["trees"][0]
        head = parse_checkpoint(open_note(value["note"], verifiers)[0])
        return (head.origin == origin(tree["partition"]) and head.size == tree["tree_size"]
                and head.root.hex() == tree["root"])
    except (NoteError, KeyError, IndexError, TypeError):
        return False


class CheckpointsUnreadable(RuntimeError):
    """appeals.checkpoints could not be read to its end in time."""


async def latest(verifiers: list[Verifier], bootstrap: str | None = None, look_back: int = 256,
                 timeout: float = 30.0) -> dict[int, dict[str, Any]]:
    """The latest genuine checkpoint of each partition (signed by one of `verifiers`; the largest tree; of two the
    same, the later record), read from the end of appeals.checkpoints backwards: a window of `look_back` records,
    doubled until every partition is found or the topic's start is reached. CheckpointsUnreadable when the topic
    cannot be read to its end in time."""
    tp = TopicPartition(topics.CHECKPOINTS, 0)
    consumer = AIOKafkaConsumer(**connection(bootstrap), enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        consumer.assign([tp])
        start, end = (await consumer.beginning_offsets([tp]))[tp], (await consumer.end_offsets([tp]))[tp]
        deadline = asyncio.get_running_loop().time() + timeout
        window = look_back
        while True:
            first = max(start, end - window)
            consumer.seek(tp, first)
            found: dict[int, dict[str, Any]] = {}
            while (await consumer.position(tp)) < end:
                if asyncio.get_running_loop().time() > deadline:
                    raise CheckpointsUnreadable(f"{topics.CHECKPOINTS} could not be read to its end in {timeout:.0f} s")
                for record in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                    if record.offset >= end:
                        break
                    try:
                        value = decode(record.value)
                        partition, size = value["trees"][0]["partition"], value["trees"][0]["tree_size"]
                    except Exception:   # not a checkpoint: witnesses check what they take, this reader skips it
                        continue
                    if not genuine(value, verifiers):
                        continue
                    if partition not in found or size >= found[partition]["trees"][0]["tree_size"]:
                        found[partition] = value
            if first == start or len(found) >= settings.PARTITIONS:
                return found
            window *= 2
    finally:
        await consumer.stop()
