"""The public feed agent: appeals.public in step with the ledger, without personal data."""

from __future__ import annotations

import re
import time

import pytest

from streams.avro import codec
from tests.support.kafka_reading import read_all
from tests.support.workload import CHANNELS, VALID_IINS

pytestmark = pytest.mark.integration


def test_public_feed_is_in_step_and_carries_no_personal_data(kafka, contract_appeals):
    wanted = {a: len(c) for a, c in contract_appeals.events_by_appeal.items()}
    deadline = time.monotonic() + 60
    while True:
        records = read_all(kafka, "appeals.public")
        got: dict[str, list] = {}
        for r in records:
            event = codec.decode(r.value)
            if event["appeal_id"] in wanted:
                got.setdefault(event["appeal_id"], []).append(event)
        if {a: len(e) for a, e in got.items()} == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert {a: [e["sequence"] for e in events] for a, events in got.items()} == {a: list(range(1, n + 1)) for a, n in wanted.items()}
    everything = b"".join(r.value for r in records)
    for secret in VALID_IINS + ["Азамат", "Жол жөндеу керек", "Жөнделді", "solved myself", "incomplete answer", "900101301234"]:
        assert secret.encode() not in everything, f"{secret!r} leaked to the public feed"
    def strings(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("hash", "prev_hash", "event_id", "citizen_ref"):   # hex digests and ids
                    yield from strings(v, k)
        elif isinstance(value, str):
            yield key, value
    for events in got.values():
        for event in events:
            for key, text in strings(event):
                assert not re.search(r"\d{12}", text), f"{key}={text!r} looks like an IIN on the public feed"
    filed = next(e for events in got.values() for e in events if e["event_type"] == "filed")
    assert len(filed["payload"]["citizen_ref"]) == 32 and filed["payload"]["channel"] in CHANNELS
    assert filed["region"] and filed["body"] and filed["actor_role"] == "citizen"
