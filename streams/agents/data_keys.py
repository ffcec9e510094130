"""The ledger's data keys: minted for each new appeal, used to seal its personal fields, read back from appeals.keys.

- A filing of a new appeal mints its 256-bit data key (os.urandom), wrapped by the master key; the key record
  goes to appeals.keys[p] in the partition's transaction with the appeal's first event (both or neither), by
  the one ledger that owns partition p (fenced), and only once that ledger has read appeals.keys[p] to its
  end (`caught_up`); an appeal's first key record is its key and an erasure is final (`_apply`).
- Every event with personal fields is sealed under the appeal's key before its hash is computed
  (streams/domain/sealing.py); an appeal that has no key yet (filed before sealing) gets one on its next such
  event (its first_sequence); an erased appeal's later events carry no personal fields at all.
- A key that does not open (a master key missing from the settings) rejects the command `key_unavailable`
  (nothing recorded, the sender may send it again); any other failure while sealing stops the ledger
  (SealingFailed), so the command is judged again after the restart.
- The keys of the partitions a ledger judges are kept in its RocksDB (streams/agents/ledger_store.py) and
  caught up from appeals.keys when it takes a partition and every few seconds after, so an erasure written by
  `tyndau erase` or by the retention job (a tombstone) removes the key from the ledger's disk too.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import datetime
from typing import Any, Callable

from aiokafka import TopicPartition

from .. import settings, topics
from ..auth.master_key import master_key
from ..avro import codec
from ..domain.privacy import citizen_ref_of
from ..domain.commands import CommandError
from ..domain.sealing import (KEY_BYTES, NONCE_BYTES, KeyUnavailable, MasterKey, SealingFailed, data_key_record,
                              open_data_key, personal_values, seal_event, withhold_personal)
from ..kafka.data_keys import Erased, entry_of, key_value, keys_consumer, records_between, replaces
from .ledger_store import LedgerStore

log = logging.getLogger(__name__)
FOLLOW_SECONDS = 5.0   # how often a ledger reads erasures others wrote to its partitions of appeals.keys

Minted = dict[str, tuple[bytes, bytes]]   # appeal id → (its AppealDataKey record's bytes, the clear data key)


class LedgerKeys:
    def __init__(self, disk: LedgerStore, master: MasterKey | None = None) -> None:
        self.disk, self._master = disk, master
        self._consumer = None
        self._lock = asyncio.Lock()
        self.caught_up: set[int] = set()   # partitions whose keys and erasures the disk holds up to recovery
        self.active: set[int] | None = None   # the partitions this ledger judges (None: every one asked for)

    @property
    def master(self) -> MasterKey:
        if self._master is None:
            self._master = master_key()
        return self._master

    def sealer(self, partition: int, minted: Minted, now: datetime,
               fresh: Minted) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """What the judge applies to each event of this partition before hashing it: keys the batch minted are
        in `minted`; one this command mints goes to `fresh` (kept only if the command becomes an event)."""
        held = self.disk.open(partition)
        if partition not in self.caught_up:   # never judge without every key and erasure of the partition
            raise SealingFailed(f"the data keys of partition {partition} were not read from appeals.keys")

        def mint(appeal_id: str, first_sequence: int) -> tuple[str, bytes]:
            key_id, data_key = str(uuid.uuid4()), os.urandom(KEY_BYTES)
            record = data_key_record(appeal_id, key_id, data_key, self.master, now, first_sequence)
            fresh[appeal_id] = (key_value(record), data_key)
            return key_id, data_key

        def seal(event: dict[str, Any]) -> dict[str, Any]:
            appeal_id = event["appeal_id"]
            ref = citizen_ref_of(event, settings.PSEUDONYM_KEY)   # a filing's applicant, before the citizen is sealed
            if ref:
                event = {**event, "citizen_ref": ref}
            if not personal_values(event):
                return event
            try:
                known = minted.get(appeal_id) or fresh.get(appeal_id)
                if known is not None:
                    key_id, data_key = codec.decode(known[0], codec.DATA_KEY)["key_id"], known[1]
                elif event["event_type"] == "filed":
                    key_id, data_key = mint(appeal_id, 1)   # a new appeal: nothing before it is the ledger's
                else:
                    stored = held.key_of(appeal_id)
                    if isinstance(stored, datetime):
                        return withhold_personal(event)   # erased: the appeal carries on without its personal data
                    if stored is None:   # filed before sealing: sealed from this event on
                        key_id, data_key = mint(appeal_id, event["sequence"])
                    else:
                        record = entry_of(stored, 0, appeal_id)
                        key_id, data_key = record["key_id"], open_data_key(record, self.master)
            except KeyUnavailable as error:
                raise CommandError("key_unavailable", f"the appeal's data key cannot be opened ({error}); nothing was "
                                                      "recorded: send the command again once an operator has fixed the "
                                                      "master key settings") from None
            except Exception as error:   # a disk or a master key service: not the command's doing
                raise SealingFailed(f"{type(error).__name__} while sealing") from error
            return seal_event(event, data_key, key_id, os.urandom(NONCE_BYTES))

        return seal

    def remember(self, partition: int, minted: Minted) -> None:
        """After the partition's transaction committed: its new keys onto the ledger's disk."""
        if minted:
            self.disk.open(partition).write_keys({appeal_id: value for appeal_id, (value, _) in minted.items()})

    async def catch_up(self, partitions: list[int]) -> int:
        """Read each partition of appeals.keys from where the disk stopped to its end; the records read."""
        if not partitions:
            return 0
        async with self._lock:
            if self._consumer is None:
                self._consumer = keys_consumer()
                await self._consumer.start()
            consumer = self._consumer
            tps = [TopicPartition(topics.KEYS, p) for p in partitions]
            if consumer.assignment() != set(tps):
                consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            read = 0
            for tp in tps:
                held = self.disk.open(tp.partition)
                start = None if held.keys_offset is None else held.keys_offset + 1
                if start is not None and start >= ends[tp]:
                    self.caught_up.add(tp.partition)
                    continue
                entries: dict[str, bytes | datetime] = {}
                last = None
                async for record in records_between(consumer, tp, start, ends[tp]):
                    last = record.offset
                    if self._apply(held, entries, record):
                        read += 1
                # Not closed or handed to another ledger by a rebalance meanwhile (its keys were just forgotten).
                if self.disk.partitions.get(tp.partition) is held and (self.active is None or tp.partition in self.active):
                    held.write_keys(entries, last if last is not None else ends[tp] - 1)
                    self.caught_up.add(tp.partition)
            return read

    @staticmethod
    def _apply(held: Any, entries: dict[str, bytes | datetime], record: Any) -> bool:
        """One record of appeals.keys into `entries`: an appeal's first key is its key (a later one would make
        its sealed fields unreadable: ignored), and an erasure is final (a key after it is ignored)."""
        try:
            appeal_id = record.key.decode("utf-8") if record.key else ""
            entry = entry_of(record.value, record.timestamp, appeal_id)
        except Exception as error:   # noqa: BLE001 — bytes of any shape: skipped, logged without content
            log.error("skipping %s[%d]@%d: %s", topics.KEYS, record.partition, record.offset, type(error).__name__)
            return False
        known = entries.get(appeal_id)
        if known is None:
            known = held.key_of(appeal_id)
        erasure = isinstance(entry, Erased)
        if erasure and not any(name == topics.ERASED_HEADER for name, _ in record.headers or ()):
            log.warning("%s[%d]@%d: an erasure without its %s header (not written by tyndau?)", topics.KEYS,
                        record.partition, record.offset, topics.ERASED_HEADER)
        if replaces(None if known is None else "erased" if isinstance(known, datetime) else "key", erasure):
            entries[appeal_id] = entry.at if erasure else record.value
        elif not erasure and known != record.value:
            log.warning("%s[%d]@%d: a second key record for an appeal that has %s: ignored", topics.KEYS,
                        record.partition, record.offset, "been erased" if isinstance(known, datetime) else "a key")
        return True

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
