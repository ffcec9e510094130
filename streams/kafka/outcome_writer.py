"""The ledger's writer of outcomes: events and rejections as record batches, acknowledged before a batch of commands is done."""

from __future__ import annotations

import logging
import os

from aiokafka import AIOKafkaProducer

from .. import settings, topics
from .security import connection

log = logging.getLogger(__name__)

Outgoing = tuple[int, bytes | None, bytes, list[tuple[str, bytes]]]   # (partition, key, value, headers)


class OutcomeWriter:
    """The ledger's own idempotent producer (acks=all): outcomes go out as one record batch per
    partition, and a batch of commands is finished only when all its outcomes are acknowledged.

    Faust's `Topic.send` costs a future, a callback and a buffer entry per record; at thousands
    of commands a second that was most of the ledger's time.
    """

    def __init__(self) -> None:
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = AIOKafkaProducer(**connection(), acks="all", enable_idempotence=True,
                                        max_batch_size=settings.LEDGER_RECORD_BATCH_BYTES, client_id=topics.LEDGER_CLIENT_ID)
            await producer.start()
            self.producer = producer
        return self.producer

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def write(self, topic: str, records: list[Outgoing]) -> None:
        """Send (partition, key, value, headers) records, in order per partition, and wait for every acknowledgement.

        A failure stops the worker before these commands' offsets can be committed, so they are
        judged again after the restart (see the module's docstring)."""
        if not records:
            return
        producer = await self.start()
        by_partition: dict[int, list] = {}
        for record in records:
            by_partition.setdefault(record[0], []).append(record)
        sent = []
        try:
            for partition, items in by_partition.items():
                batch = producer.create_batch()
                for _, key, value, headers in items:
                    if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:   # full
                        sent.append(await producer.send_batch(batch, topic, partition=partition))
                        batch = producer.create_batch()
                        # A new batch takes its first record whatever its size; the broker's limit applies.
                        batch.append(key=key, value=value, timestamp=None, headers=headers)
                sent.append(await producer.send_batch(batch, topic, partition=partition))
            for fut in sent:
                await fut
        except Exception as error:   # not durable: stop before the consumer commits past these commands
            log.critical("could not write to the ledger (%s): %r; stopping so no command is acknowledged", topic, error)
            os._exit(70)
