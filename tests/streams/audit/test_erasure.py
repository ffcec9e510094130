"""Erasure's rules (issue 15, item 6): an appeal written before personal data was sealed cannot be erased without
breaking its chain, so a request that includes one is refused, naming it, and erases nothing."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import datetime, timezone

import pytest
from aiokafka import AIOKafkaProducer

from streams import settings, topics
from streams.audit.erasure import erase_appeals
from streams.domain.principals import Principal
from streams.domain.sealing import LocalMasterKey, data_key_record
from streams.kafka.admin import ensure_topics
from streams.kafka.data_keys import Erased, key_value, lookup_keys
from streams.kafka.records import partition_of

MASTER = LocalMasterKey(os.urandom(32))
ADMIN = Principal("test-admin", "admin")


@pytest.mark.integration
def test_an_appeal_filed_before_sealing_or_without_a_key_is_refused_and_nothing_is_erased(kafka, monkeypatch):
    monkeypatch.setattr(settings, "KAFKA_BOOTSTRAP", kafka)
    ensure_topics(kafka)
    sealed, late, keyless = (f"er-{kind}-{uuid.uuid4().hex[:6]}" for kind in ("sealed", "late", "keyless"))
    now = datetime.now(timezone.utc)

    async def put():
        producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
        await producer.start()
        try:
            # `late` got its key at its third event: its filing is in clear inside hashed bytes.
            for appeal_id, first in ((sealed, 1), (late, 3)):
                value = key_value(data_key_record(appeal_id, "k", os.urandom(32), MASTER, now, first))
                await producer.send_and_wait(topics.KEYS, value, key=appeal_id.encode(), partition=partition_of(appeal_id.encode()))
        finally:
            await producer.stop()

    asyncio.run(put())
    outcome = asyncio.run(erase_appeals([sealed, late, keyless], ADMIN, "citizen's request"))
    assert outcome["erased"] == []
    why = {r["appeal_id"]: r["why"] for r in outcome["refused"]}
    assert set(why) == {late, keyless}
    assert why[late].startswith("its events before 3 were written before personal data was sealed")
    assert why[keyless].startswith("it has no data key")
    assert not isinstance(asyncio.run(lookup_keys([sealed]))[sealed], Erased)   # nothing was erased

    outcome = asyncio.run(erase_appeals([sealed], ADMIN, "citizen's request"))
    assert [e["appeal_id"] for e in outcome["erased"]] == [sealed]
    assert isinstance(asyncio.run(lookup_keys([sealed]))[sealed], Erased)
    again = asyncio.run(erase_appeals([sealed], ADMIN, "citizen's request"))
    assert again["erased"] == [] and [e["appeal_id"] for e in again["already_erased"]] == [sealed]
