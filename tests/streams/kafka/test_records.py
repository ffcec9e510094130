"""Record batches with a header name that is not UTF-8 are read, the name made valid, instead of raising."""

from __future__ import annotations

import struct

from aiokafka.consumer import fetcher
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from aiokafka.record.memory_records import MemoryRecords
from aiokafka.record.util import calc_crc32c

from streams.kafka.records import TolerantRecords, tolerate_invalid_header_names


def batch(records: list[tuple[bytes, bytes, list]], base_offset: int = 0, bad_name: bool = False) -> bytes:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, (key, value, headers) in enumerate(records):
        builder.append(i, timestamp=None, key=key, value=value, headers=headers)
    raw = bytearray(builder.build())
    struct.pack_into(">q", raw, 0, base_offset)
    if bad_name:
        at = raw.index(b"QQ")
        raw[at:at + 2] = b"\xc3\x28"
        struct.pack_into(">I", raw, 17, calc_crc32c(bytes(raw[21:])))
    return bytes(raw)


def read(data: bytes) -> list[tuple]:
    out, records = [], TolerantRecords(data)
    while records.has_next():
        one = records.next_batch()
        assert one.validate_crc()
        out += [(r.offset, r.key, r.value, r.headers) for r in one]
    return out


def test_a_bad_header_name_is_replaced_and_every_record_read_once(caplog):
    data = (batch([(b"g", b"1", [])]) +
            batch([(b"a", b"2", [("QQ", b"v")]), (b"b", b"3", [("ok", b"w")])], base_offset=1, bad_name=True))
    assert read(data) == [(0, b"g", b"1", []), (1, b"a", b"2", [("\ufffd(", b"v")]), (2, b"b", b"3", [("ok", b"w")])]
    assert "not UTF-8" in caplog.text


def test_good_batches_read_exactly_as_aiokafka_reads_them():
    data = batch([(b"k", b"v", [("tyndau-command", b"0:1")]), (None, b"x", [])]) + batch([(b"z", None, [])], base_offset=2)
    plain = MemoryRecords(data)
    expected = []
    while plain.has_next():
        expected += [(r.offset, r.key, r.value, r.headers) for r in plain.next_batch()]
    assert read(data) == expected


def test_the_fetcher_uses_the_tolerant_reader_once_installed():
    tolerate_invalid_header_names()
    tolerate_invalid_header_names()
    assert fetcher.MemoryRecords is TolerantRecords
