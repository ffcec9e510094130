"""Kafka records whose header names are not UTF-8: read with the name made valid, never a stuck consumer.

Kafka's protocol calls a header name a string, but the broker stores any bytes a client sends.
aiokafka decodes header names strictly, so one such record raises out of every fetch of its
partition: the ledger, the projector and every reader would stop on it for good, after every
restart. Each record batch a consumer fetches is therefore read as aiokafka reads it, and only
when that fails on a header name is the same batch read again by aiokafka's own pure-Python
reader with invalid bytes in names replaced by U+FFFD. Records already handed out are not
repeated: the consumer skips offsets below its position.
"""

from __future__ import annotations

import logging
import struct
from typing import Any

from aiokafka.consumer import fetcher
from aiokafka.partitioner import murmur2
from aiokafka.record.default_records import _DefaultRecordBatchPy

from .. import settings

log = logging.getLogger(__name__)
_BATCH_PREFIX = struct.Struct(">qi")   # base offset, batch length: the same in message formats v0, v1 and v2
_MemoryRecords = fetcher.MemoryRecords  # aiokafka's own, kept before install replaces it in the fetcher
_installed = False


class _ReplacingSlice(bytearray):
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:   # noqa: ARG002 (always lenient)
        return bytearray.decode(self, encoding, "replace")


class _LenientBuffer(bytearray):
    """A batch buffer whose slices decode leniently: the header names aiokafka's reader decodes."""

    def __getitem__(self, index: Any) -> Any:
        part = bytearray.__getitem__(self, index)
        return _ReplacingSlice(part) if isinstance(index, slice) else part


class _LenientBatch(_DefaultRecordBatchPy):
    def _maybe_uncompress(self) -> None:
        super()._maybe_uncompress()
        if not isinstance(self._buffer, _LenientBuffer):
            self._buffer = _LenientBuffer(self._buffer)


class _TolerantBatch:
    """One fetched record batch; iterating it falls back to the lenient reader on a bad header name."""

    def __init__(self, batch: Any, raw: bytes) -> None:
        self._batch, self._raw = batch, raw

    def __getattr__(self, name: str) -> Any:
        return getattr(self._batch, name)

    def __next__(self) -> Any:   # control batches are read one record at a time
        return next(self._batch)

    def __iter__(self):
        try:
            yield from self._batch
        except (UnicodeDecodeError, fetcher.Errors.CorruptRecordException) as error:
            if not isinstance(error, UnicodeDecodeError) and not isinstance(error.__cause__ or error.__context__, UnicodeDecodeError):
                raise
            log.error("a record batch at offset %d holds a header name that is not UTF-8; reading it with the name "
                      "made valid", self._batch.base_offset)
            yield from _LenientBatch(self._raw)


class TolerantRecords:
    """aiokafka's MemoryRecords, handing out each batch with its own bytes."""

    def __init__(self, data: bytes) -> None:
        self._records = _MemoryRecords(data)
        self._data, self._pos = data, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._records, name)

    def has_next(self) -> bool:
        return self._records.has_next()

    def next_batch(self) -> Any:
        batch = self._records.next_batch()
        if batch is None:
            return None
        _, length = _BATCH_PREFIX.unpack_from(self._data, self._pos)
        end = self._pos + _BATCH_PREFIX.size + length
        raw, self._pos = self._data[self._pos:end], end
        return _TolerantBatch(batch, raw) if getattr(batch, "magic", 2) == 2 else batch


def tolerate_invalid_header_names() -> None:
    """Install the lenient fallback in aiokafka's fetcher (once per process)."""
    global _installed
    if not _installed:
        fetcher.MemoryRecords = TolerantRecords
        _installed = True


def partition_of(key: bytes) -> int:
    """The partition Kafka's default partitioner (murmur2 of the key) gives an appeal's records (commands,
    events, rejections, data keys: all co-partitioned)."""
    return (murmur2(key) & 0x7FFFFFFF) % settings.PARTITIONS
