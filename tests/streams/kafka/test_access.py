"""Access records (streams/kafka/access.py): durable on appeals.access before the read goes ahead, or refused."""

from __future__ import annotations

import asyncio

import pytest

from streams.avro import codec
from streams.domain.principals import Principal
from streams.kafka.access import ACTS, AccessNotRecorded, AccessWriter, access_record, purpose_problem, record_now
from tests.support.kafka_reading import read_all

AUDITOR = Principal("court-7", "auditor")


@pytest.mark.parametrize("purpose, ok", [("court case 2-7/2047", True), ("ab", False), ("   x  ", False), (None, False),
                                         (5, False), ("x" * 501, False), ("line\nbreak ok", True), ("a\x00b c", False)])
def test_a_purpose_is_stated_in_printable_text(purpose, ok):
    assert (purpose_problem(purpose) is None) is ok


def test_an_unknown_act_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown act"):
        access_record(AUDITOR, "peek", "appeal", "a-1")
    assert "read_personal_history" in ACTS


@pytest.mark.integration
def test_a_record_is_on_the_topic_when_record_returns(kafka):
    record = access_record(AUDITOR, "read_personal_history", "appeal", "access-test-1", purpose="court case")
    record_now(record, kafka)
    [stored] = [codec.decode(r.value) for r in read_all(kafka, "appeals.access") if r.key == b"access-test-1"]
    assert str(stored["access_id"]) == record["access_id"] and stored["who"] == "court-7" and stored["purpose"] == "court case"


def test_without_kafka_the_access_is_not_recorded_and_says_so():
    async def attempt():
        writer = AccessWriter("127.0.0.1:9", timeout=2)
        try:
            await writer.record(access_record(AUDITOR, "rebuild", "projections", "all"))
        finally:
            await writer.stop()
    with pytest.raises(AccessNotRecorded, match="appeals.access"):
        asyncio.run(attempt())
