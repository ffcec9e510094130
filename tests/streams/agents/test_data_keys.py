"""The ledger's data keys (issue 15): a filing mints its appeal's key and sets citizen_ref; later events are
sealed under the same key; an erased appeal's later events carry no personal fields; erasures written by
others reach the ledger's disk from appeals.keys."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from streams import settings, topics
from streams.agents.data_keys import LedgerKeys
from streams.agents.ledger_store import LedgerStore
from streams.avro import codec
from streams.domain.privacy import pseudonym
from streams.domain.commands import CommandError
from streams.domain.sealing import LocalMasterKey, SealingFailed, data_key_record, open_data_key, unsealed_fields
from streams.kafka.admin import ensure_topics
from streams.kafka.data_keys import key_value
from streams.kafka.records import partition_of

MASTER = LocalMasterKey(os.urandom(32))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CITIZEN = {"iin": "900101301233", "bin": None, "name": "Aida", "contact": "+7 700", "text": "Жол"}


def event(kind: str, appeal_id: str = "A-1", **payload) -> dict:
    return {"event_id": str(uuid.uuid4()), "appeal_id": appeal_id, "event_type": kind, "payload": payload,
            "citizen_ref": None, "sealed": None}


def ledger_keys(tmp_path) -> LedgerKeys:
    keys = LedgerKeys(LedgerStore(tmp_path, 10), MASTER)
    keys.caught_up.add(0)   # as after the partition's recovery read appeals.keys
    return keys


def test_a_filing_mints_the_key_later_events_use_it_and_an_erasure_withholds(tmp_path):
    keys = ledger_keys(tmp_path)
    fresh: dict = {}
    filed = keys.sealer(0, {}, NOW, fresh)(event("filed", citizen=dict(CITIZEN), category="roads"))
    assert filed["citizen_ref"] == pseudonym(CITIZEN["iin"], settings.PSEUDONYM_KEY)
    assert filed["payload"]["citizen"] is None and set(fresh) == {"A-1"}
    record = codec.decode(fresh["A-1"][0], codec.DATA_KEY)
    data_key = open_data_key(record, MASTER)
    assert record["first_sequence"] == 1 and unsealed_fields(filed, data_key, record["key_id"]) == {"citizen": CITIZEN}

    keys.remember(0, fresh)   # the transaction committed: the key is on the ledger's disk
    answered = keys.sealer(0, {}, NOW, {})(event("answered", text="fixed", outcome="resolved"))
    assert answered["sealed"]["key_id"] == record["key_id"] and unsealed_fields(answered, data_key) == {"text": "fixed"}
    assert keys.sealer(0, {}, NOW, {})(event("escalated", reason="overdue"))["sealed"] is None   # nothing personal

    keys.disk.open(0).write_keys({"A-1": NOW})   # erased
    later = keys.sealer(0, {}, NOW, {})(event("rated", comment="thank you", score=5))
    assert later["payload"]["comment"] is None and later["sealed"] is None


def test_an_appeal_filed_before_sealing_gets_a_key_at_its_next_personal_event(tmp_path):
    fresh: dict = {}
    routed = ledger_keys(tmp_path).sealer(0, {}, NOW, fresh)(
        {**event("routed", "OLD-1", reason="not ours", to_body="b"), "sequence": 4})
    assert set(fresh) == {"OLD-1"} and routed["payload"]["reason"] is None and routed["sealed"]["fields"] == ["reason"]
    assert codec.decode(fresh["OLD-1"][0], codec.DATA_KEY)["first_sequence"] == 4   # events 1-3 are in clear


def test_a_partition_whose_keys_were_not_read_is_not_judged(tmp_path):
    with pytest.raises(SealingFailed, match="not read from appeals.keys"):
        LedgerKeys(LedgerStore(tmp_path, 10), MASTER).sealer(1, {}, NOW, {})


def test_a_key_that_does_not_open_rejects_the_command_and_a_broken_disk_stops_the_ledger(tmp_path):
    keys = ledger_keys(tmp_path)
    other = LocalMasterKey(os.urandom(32))   # wrapped by a master key this ledger does not hold
    keys.disk.open(0).write_keys({"A-1": key_value(data_key_record("A-1", "k", os.urandom(32), other, NOW))})
    with pytest.raises(CommandError) as refused:
        keys.sealer(0, {}, NOW, {})(event("answered", text="fixed", outcome="resolved"))
    assert refused.value.reason == "key_unavailable"

    class BrokenDisk:
        def key_of(self, appeal_id):
            raise OSError("disk")

    keys.disk.partitions[0] = BrokenDisk()
    with pytest.raises(SealingFailed, match="OSError"):
        keys.sealer(0, {}, NOW, {})(event("answered", text="fixed", outcome="resolved"))


@pytest.mark.integration
def test_catch_up_reads_keys_and_erasures_others_wrote(kafka, monkeypatch, tmp_path):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    ensure_topics(kafka)
    # Two appeals of one partition: one keeps its key, the other is erased after it.
    first = f"ck-{uuid.uuid4().hex[:8]}"
    second = next(a for a in (f"ck-{uuid.uuid4().hex[:8]}" for _ in range(1000))
                  if partition_of(a.encode()) == partition_of(first.encode()))
    partition = partition_of(first.encode())
    values = {a: key_value(data_key_record(a, f"key-{a}", os.urandom(32), MASTER, NOW)) for a in (first, second)}
    others = {a: key_value(data_key_record(a, f"other-{a}", os.urandom(32), MASTER, NOW)) for a in (first, second)}

    async def write():
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            for appeal_id, value in ((first, values[first]), (second, values[second]), (second, None),
                                     (first, others[first]), (second, others[second])):   # neither may replace
                await producer.send_and_wait(topics.KEYS, value, key=appeal_id.encode(), partition=partition)
        finally:
            await producer.stop()

    asyncio.run(write())
    keys = LedgerKeys(LedgerStore(tmp_path, 10), MASTER)

    async def catch_up_twice():
        try:
            return await keys.catch_up([partition]), await keys.catch_up([partition])
        finally:
            await keys.stop()

    read, again = asyncio.run(catch_up_twice())
    held = keys.disk.open(partition)
    assert read >= 5 and again == 0
    assert held.key_of(first) == values[first]
    assert isinstance(held.key_of(second), datetime)   # erased: the wrapped key is no longer on the disk
    held.forget_keys()
    assert held.key_of(first) is None and held.keys_offset is None
