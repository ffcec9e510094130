"""A command that reaches the ledger out of order is held and its partition read again (streams/agents/order.py).

The rewind itself runs on a live worker's consumer; these check when it is due and when it is over."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from faust.types import TP

from streams.agents.order import REWIND_GRACE_SECONDS, STALL_SECONDS, CommandOrder


def test_a_rewind_is_due_once_then_again_only_if_the_command_has_not_come_back_within_the_grace():
    order = CommandOrder()
    assert order.due(3, 100, now=0.0)
    order.rewinding[3] = (100, 0.0)
    assert not order.due(3, 100, now=REWIND_GRACE_SECONDS / 2)   # later records fetched before it still arrive
    assert order.due(3, 120, now=1.0)                             # another offset: a rewind of its own
    assert order.due(3, 100, now=REWIND_GRACE_SECONDS)           # never came back: read again
    assert order.due(4, 100, now=1.0)                             # partitions are apart


def test_a_rewind_is_over_when_its_command_arrives():
    order = CommandOrder()
    order.rewinding[1] = (50, 0.0)
    order.arrived(1, 49)
    assert 1 in order.rewinding
    order.arrived(1, 50)
    assert 1 not in order.rewinding


def test_no_rewind_while_a_rebalance_is_under_way():
    """A rebalance reads every partition from its first command without an outcome itself (streams/app.py)."""
    def refuse(*_):
        raise AssertionError("the consumer must not be touched during a rebalance")

    app = SimpleNamespace(rebalancing=True, flow_control=SimpleNamespace(is_active=lambda: False),
                          consumer=SimpleNamespace(reread=refuse, earliest_offsets=refuse))
    assert asyncio.run(CommandOrder().rewind(app, 0, 10, 12, floor=refuse)) is False


def test_a_rewind_whose_command_never_came_back_is_overdue_after_the_grace():
    """The partition's last commands: nothing later arrives to show they are missing, so a timer asks."""
    order = CommandOrder()
    order.rewinding[1], order.rewinding[2] = (50, 0.0), (70, 3.0)
    assert order.overdue(now=1.0) == []
    assert order.overdue(now=REWIND_GRACE_SECONDS) == [(1, 50)]
    order.forget(1)
    assert order.overdue(now=REWIND_GRACE_SECONDS + 3.0) == [(2, 70)]


def test_a_partition_that_holds_commands_and_judges_none_for_a_while_has_stalled():
    """Records lost on the way with none after them: nothing arrives to show it, so the ledger's timer looks."""
    order = CommandOrder()
    assert not order.stalled(1, 40, end=50, now=0.0)                  # first look
    assert not order.stalled(1, 40, end=50, now=STALL_SECONDS / 2)
    assert order.stalled(1, 40, end=50, now=STALL_SECONDS)
    assert not order.stalled(1, 45, end=50, now=STALL_SECONDS + 1)   # judged on: watched afresh
    assert not order.stalled(1, 45, end=50, now=2 * STALL_SECONDS)
    assert order.stalled(1, 45, end=50, now=2 * STALL_SECONDS + 1)
    assert not order.stalled(1, 50, end=50, now=9 * STALL_SECONDS)   # judged to the end: nothing to wait for
    assert not order.stalled(2, 0, end=None, now=9 * STALL_SECONDS)  # nothing fetched yet


class Consumer:
    """Records what a rewind asks of Faust's consumer."""

    def __init__(self, earliest: int, fails: bool = False):
        self.earliest, self.calls, self.fails, self._committed_offset = earliest, [], fails, {}

    def assignment(self):
        return {TP("appeals.commands", p) for p in range(4)}

    async def earliest_offsets(self, tp):
        return {tp: self.earliest}

    async def reread(self, tp, offset):
        if self.fails:
            raise AssertionError("Partition is not assigned")   # as aiokafka's seek of a revoked partition
        self.calls.append(("seek", tp.topic, tp.partition, offset))


def rewound(earliest: int, seen: int | None = 14, fails: bool = False):
    consumer, floors = Consumer(earliest, fails), []
    app = SimpleNamespace(rebalancing=False, flow_control=SimpleNamespace(is_active=lambda: True), consumer=consumer)
    order = CommandOrder()
    done = asyncio.run(order.rewind(app, 2, 10, seen, floor=lambda p, o: floors.append((p, o))))
    rewound.consumer = consumer
    return done, consumer.calls, floors, order.rewinding


@pytest.mark.parametrize("seen", [14, None])
def test_a_rewind_seeks_the_partition_to_its_first_command_without_an_outcome(seen):
    done, calls, floors, rewinding = rewound(earliest=0, seen=seen)
    assert done and calls == [("seek", "appeals.commands", 2, 10)] and floors == []
    assert rewinding[2][0] == 10


def test_commands_removed_by_retention_before_they_were_judged_move_the_floor():
    done, calls, floors, _ = rewound(earliest=12)
    assert done and calls == [("seek", "appeals.commands", 2, 12)] and floors == [(2, 12)]
    # Faust commits from there: its committed offset was below what exists, and it held every later ack.
    assert rewound.consumer._committed_offset == {TP("appeals.commands", 2): 12}


def test_a_rewind_that_fails_is_left_to_the_timer_and_raises_nothing():
    """A partition revoked between the check and the seek: no exception reaches the ledger or the timer."""
    done, calls, _, rewinding = rewound(earliest=0, fails=True)
    assert not done and calls == [] and rewinding[2][0] == 10


def test_after_a_recovery_every_assigned_partition_is_read_again_from_its_position():
    """Faust clears the streams' buffers after it has resumed fetching (streams/kafka/recovery.py AFTER_RECOVERY)."""
    consumer = Consumer(earliest=0)
    app = SimpleNamespace(rebalancing=False, consumer=consumer)
    asyncio.run(CommandOrder().read_again(app, {3: 7, 9: 1, 0: 5}))   # 9 is not this worker's
    assert consumer.calls == [("seek", "appeals.commands", 0, 5), ("seek", "appeals.commands", 3, 7)]
    failing = Consumer(earliest=0, fails=True)
    asyncio.run(CommandOrder().read_again(SimpleNamespace(rebalancing=False, consumer=failing), {1: 2}))
    assert failing.calls == []   # and nothing raised: the stall check finds it later
