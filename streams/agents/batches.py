"""Batches of a Faust stream's events, taken from its buffer in bulk.

Faust's `Stream.take_events` moves events from the topic's buffer into a batch one at a time, a turn of
the event loop each, and only while no batch is being processed: with thousands of commands waiting in
the buffer, the ledger got batches of 5 to 200 and spent its time in small transactions. `batches`
takes the first event through the stream as Faust does, then whatever else the buffer holds (up to
`max_size`, waiting at most `within` seconds for more), applying the stream's own rules to each: an
event of an older consumer generation, or one that arrives while a rebalance has the flow stopped, is
skipped (it is read again after the rebalance); every event is tracked for acking when it is taken and
acked only after the batch was processed, so its offset is committed only once its outcome is durable.
An event its consumer does not let be acked (no durable outcome: its partition moved, or it came out of order)
is let go without an ack, so its offset is never committed here. A rebalance ends the wait for more: the batch goes out
with what it has.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from faust.types import EventT

POLL_SECONDS = 0.002   # while a batch waits for more events, how often it looks at the buffer


class Taken(list):
    """A batch's events, in the order taken. Its consumer may bound, per partition, which events are acked."""

    def __init__(self, events: list[Any]) -> None:
        super().__init__(events)
        self.ack_below: dict[int, int] = {}

    def ack_only_below(self, partition: int, offset: int) -> None:
        """Ack only the events of `partition` below `offset`: those whose outcome is durable."""
        self.ack_below[partition] = offset

    def hold(self, partition: int) -> None:
        """Ack none of `partition`'s events."""
        self.ack_below[partition] = -1

    def acks(self, event: Any) -> bool:
        below = self.ack_below.get(event.message.partition)
        return below is None or event.message.offset < below


async def batches(stream: Any, max_size: int, within: float) -> AsyncIterator[Taken]:
    """Lists of at most `max_size` events of `stream`, each yielded as soon as it is full or `within` seconds
    after its first event arrived. A batch's events are acked when the consumer of the batch asks for the
    next one, never when it stopped with an exception (its commands are then judged again after a restart),
    and never those it keeps from being acked."""
    if not compiled_stream_iterator():
        # Faust's pure-Python iterator acks the events it skips after a rebalance; its consumer commits the
        # first run of acked offsets, so that ack could commit past commands not judged yet.
        raise RuntimeError("faust-streaming is installed without its compiled stream iterator (faust._cython): "
                           "install the wheel for this platform")
    app = stream.app
    stream.enable_acks = False   # acked here, after the batch
    queue = stream.channel.queue
    async for first in stream.events():
        events = [first]
        generation = first.message.generation_id
        deadline = time.monotonic() + within
        while len(events) < max_size:
            _take_buffered(app, queue, events, max_size)
            remaining = deadline - time.monotonic()
            if len(events) >= max_size or remaining <= 0 or _rebalancing(app, generation):
                break
            await asyncio.sleep(min(POLL_SECONDS, remaining))
        batch = Taken(events)
        del events
        yield batch
        for event in batch:   # reached only once the batch's outcomes are on the log
            if batch.acks(event):
                await stream.ack(event)
            else:
                # Let go: Faust's wait for unacked messages (at a rebalance) counts it done, and its offset is not
                # among the acked ones Faust commits. It is read again.
                event.message.acked = True
                app.consumer._unacked_messages.discard(event.message)
        del batch


def compiled_stream_iterator() -> bool:
    """True if Faust iterates streams with its compiled iterator, which skips stale events without acking them."""
    import faust.streams

    return faust.streams._CStreamIterator is not None


def _rebalancing(app: Any, generation: int) -> bool:
    """A rebalance started since the batch's first event: it goes out with what it has, so the rebalance
    does not wait for it."""
    return not app.flow_control.is_active() or app.consumer_generation_id != generation


def _take_buffered(app: Any, queue: Any, events: list[Any], max_size: int) -> None:
    """Move events from the buffer into `events`, as Faust's stream iteration would hand them over."""
    consumer = app.consumer
    acking_topics = app.topics.acking_topics
    errors = queue._errors
    while len(events) < max_size and not queue.empty():
        if errors:
            raise errors.popleft()
        item = queue.get_nowait()
        if not isinstance(item, EventT):
            continue   # a plain value: never on a topic's channel
        message = item.message
        if not app.flow_control.is_active() or message.generation_id != app.consumer_generation_id:
            # Left from before a rebalance: skipped, and not acked. Faust's consumer commits the first run of
            # acked offsets, so acking this one ahead of the offsets before it could commit past commands not
            # judged yet. Faust seeks back to the committed offsets after a rebalance: it is read again.
            continue
        if message.topic in acking_topics and not message.tracked:
            message.tracked = True
            consumer.track_message(message)
        events.append(item)
