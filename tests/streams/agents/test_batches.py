"""The ledger takes its commands from Faust's buffer in bulk (streams/agents/batches.py).

A backlog waiting on appeals.commands when a ledger starts is judged in a few large batches, so in a few
transactions per partition (each transaction's commit marker takes one offset, so the runs of consecutive
offsets on a partition of appeals.events count them), and still with exactly one outcome per command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from types import SimpleNamespace

import pytest

from streams.clients.publish import publish_lines
from streams.devtools.broker import Broker, free_port, terminate
from streams.kafka.admin import ensure_topics
from streams.settings import ROOT
from tests.support import credentials
from tests.support.kafka_reading import assert_ledger_matches, ledger_of, read_all
from tests.support.workload import generate

pytestmark = pytest.mark.integration

COMMANDS = 4_000


def runs(offsets: list[int]) -> int:
    """How many runs of consecutive offsets `offsets` (sorted) has."""
    return sum(1 for i, offset in enumerate(offsets) if i == 0 or offset != offsets[i - 1] + 1)


def test_runs_counts_breaks_between_consecutive_offsets():
    assert runs([]) == 0
    assert runs([0, 1, 2]) == 1
    assert runs([0, 1, 3, 4, 6]) == 3


def test_a_backlog_is_judged_in_a_few_large_transactions(tmp_path):
    broker = Broker(tmp_path / "kafka", port=free_port(), heap="384m")
    broker.start()
    ledger = None
    try:
        ensure_topics(broker.bootstrap, 4)
        data_dir = tmp_path / "data"
        credentials.token(data_dir / "auth", credentials.READER)   # the deployment's keys, before the ledger starts
        work = generate(COMMANDS, seed=47, prefix=f"bulk-{uuid.uuid4().hex[:6]}")
        asyncio.run(publish_lines(iter(list(enumerate(work.lines, 1))), signer=credentials.signer(data_dir / "auth"),
                                  bootstrap=broker.bootstrap, wait=0))
        env = dict(os.environ, TYNDAU_KAFKA=broker.bootstrap, TYNDAU_DATA_DIR=str(data_dir), TYNDAU_APP_ID="tyndau-bulk",
                   TYNDAU_PARTITIONS="4", TYNDAU_LEDGER_STATE_DIR=str(data_dir / "ledger"), TYNDAU_DEADLINE_CHECK_SECONDS="0")
        ledger = subprocess.Popen([sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger", "--loglevel", "warning"],
                                  env=env, cwd=ROOT, stdout=open(tmp_path / "ledger.log", "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            events, rejections = read_all(broker.bootstrap, "appeals.events"), read_all(broker.bootstrap, "appeals.rejected")
            if len(events) + len(rejections) >= len(work.lines):
                break
            assert ledger.poll() is None and time.monotonic() < deadline, (tmp_path / "ledger.log").read_text()[-3000:]
            time.sleep(0.5)

        assert len(events) + len(rejections) == len(work.lines)
        assert Counter(dict(r.headers)["tyndau-command-id"] for r in events).most_common(1)[0][1] == 1
        assert_ledger_matches(ledger_of(broker.bootstrap, work.appeal_ids), work.events_by_appeal)
        offsets: dict[int, list[int]] = defaultdict(list)
        for record in events:
            offsets[record.partition].append(record.offset)
        transactions = {p: runs(sorted(o)) for p, o in offsets.items()}
        # About 1,000 commands a partition, batches of up to 2,000 (TYNDAU_LEDGER_BATCH) across the four: three
        # transactions a partition here. Taken from the buffer one event a turn of the loop (Faust's take_events),
        # the same backlog went out in eight or nine.
        assert len(transactions) == 4 and max(transactions.values()) <= 5, transactions
    finally:
        terminate(ledger)
        broker.stop()


def test_faust_iterates_streams_with_its_compiled_iterator():
    """The bulk batches rely on it: Faust's pure-Python iterator acks the stale events it skips after a rebalance."""
    from streams.agents.batches import compiled_stream_iterator

    assert compiled_stream_iterator()


def test_a_rebalance_ends_the_wait_for_more():
    from mode.utils.queues import FlowControlEvent

    from streams.agents.batches import _rebalancing

    async def check() -> list[bool]:
        app = SimpleNamespace(flow_control=FlowControlEvent(initially_suspended=False), consumer_generation_id=3)
        seen = [_rebalancing(app, 3)]
        app.consumer_generation_id = 4
        seen.append(_rebalancing(app, 3))
        app.consumer_generation_id = 3
        app.flow_control.suspend()
        seen.append(_rebalancing(app, 3))
        return seen

    assert asyncio.run(check()) == [False, True, True]


def test_a_batch_acks_only_what_its_consumer_lets_it():
    """Events of a partition at or past its bound (no outcome on the log: it came out of order), or of a held one
    (it moved), stay unacked, so Faust never commits their offsets; other partitions' events are acked as usual."""
    from streams.agents.batches import Taken

    def event(partition: int, offset: int):
        return SimpleNamespace(message=SimpleNamespace(partition=partition, offset=offset))

    batch = Taken([event(0, 5), event(1, 7), event(0, 9), event(0, 6), event(2, 1), event(1, 8), event(0, 5)])
    batch.ack_only_below(0, 7)   # 5 and 6 have an outcome; 9 came before 7 and 8 did
    batch.hold(2)                # the whole partition
    assert [(e.message.partition, e.message.offset) for e in batch if batch.acks(e)] == [
        (0, 5), (1, 7), (0, 6), (1, 8), (0, 5)]
