"""A ledger batch is atomic: its states reach the table only when its outcomes are durable."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from streams.avro import codec
from streams.domain.chain import chain_problems
from streams.agents.ledger import Batch
from tests.messages import FILING, command_message

NOW = datetime(2031, 2, 1, 12, tzinfo=timezone.utc)


class Table:
    """The part of the ledger's table a batch uses."""

    def __init__(self):
        self.data, self.judged_offsets = {}, []

    def state_of(self, appeal_id):
        return self.data.get(appeal_id)

    def remember(self, appeal_id, state):
        self.data[appeal_id] = state

    def judged(self, partition, offset):
        self.judged_offsets.append((partition, offset))


def command(kind: str, n: int, **fields) -> bytes:
    return json.dumps({"type": kind, "command_id": f"c-{n}", "appeal_id": "a-1",
                       "at": f"2031-01-{13 + n:02d}T10:00:00+05:00", **fields}).encode()


def test_a_poison_command_between_valid_ones_rejects_only_itself_and_keeps_the_chain():
    table = Table()
    batch = Batch(table)
    messages = [json.dumps(FILING).encode(), command("route", 2, to_body="other"),
                b'{"type": [], "appeal_id": "a-1"}',                         # poison: crashed the agent once
                command("answer", 3, outcome="resolved", text={"not": "text"}),  # poison: a dict for a string
                command("answer", 4, outcome="resolved")]
    for offset, value in enumerate(messages):
        batch.add(command_message(b"a-1", value, offset=offset), NOW)
    assert table.data == {} and table.judged_offsets == [], "nothing is visible before the outcomes are durable"
    events = [codec.decode(value) for _, _, value, _ in batch.events]
    rejections = [codec.decode(value) for _, _, value, _ in batch.rejections]
    assert [e["command_id"] for e in events] == ["c-1", "c-2", "c-4"]
    assert [e["sequence"] for e in events] == [1, 2, 3] and chain_problems(events) == []
    assert [(r["reason"], r["source_offset"]) for r in rejections] == [("unknown_type", 2), ("invalid_field", 3)]
    batch.commit()
    assert table.data["a-1"].sequence == 3 and table.data["a-1"].last_hash == events[-1]["hash"]
    assert sorted(offset for _, offset in table.judged_offsets) == list(range(5))


def test_a_batch_never_committed_leaves_the_table_as_it_was():
    table = Table()
    first = Batch(table)
    first.add(command_message(b"a-1", json.dumps(FILING).encode()), NOW)
    first.commit()
    failed = Batch(table)
    failed.add(command_message(b"a-1", command("answer", 2, outcome="resolved"), offset=1), NOW)
    # The write of `failed` never completes: its state is dropped with it, and the next batch
    # judges the same appeal against what the log holds.
    retry = Batch(table)
    retry.add(command_message(b"a-1", command("answer", 3, outcome="resolved"), offset=1), NOW)
    [(_, _, value, _)] = retry.events
    assert codec.decode(value)["sequence"] == 2 and table.data["a-1"].sequence == 1
