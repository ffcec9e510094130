"""Avro single-object encoding of tyndau's records, with the schemas loaded from `schemas/`.

A message is `C3 01` + the writer schema's CRC-64-AVRO fingerprint (8 bytes, little-endian)
+ the Avro binary body. Decoding looks the fingerprint up among the known writer schemas
(every released version in `schemas/`) and resolves it to the reader schema.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import fastavro
from fastavro import schema as avro_schema

from .. import settings
from ..domain.events import EVENTS

MAGIC = b"\xc3\x01"
HEADER_SIZE = 10
NAMESPACE = "kz.tyndau"
EVENT = f"{NAMESPACE}.AppealEvent"
REJECTION = f"{NAMESPACE}.CommandRejected"
PUBLIC_EVENT = f"{NAMESPACE}.PublicAppealEvent"
ACCESS_RECORD = f"{NAMESPACE}.AccessRecorded"
DATA_KEY = f"{NAMESPACE}.AppealDataKey"
CHECKPOINT = f"{NAMESPACE}.LedgerCheckpoint"
TOP_LEVEL = (EVENT, REJECTION, PUBLIC_EVENT, ACCESS_RECORD, DATA_KEY, CHECKPOINT)   # the records messages are written with
# Each event type's payload branch of the AppealEvent union (the list: domain/events.py).
PAYLOAD_RECORDS = {e.name: f"{NAMESPACE}.{e.record}" for e in EVENTS}
PUBLIC_FILED = f"{NAMESPACE}.PublicAppealFiled"   # the filing's branch in PublicAppealEvent (citizen as pseudonym)


class DecodeError(ValueError):
    """A message that is not a tyndau single-object Avro record this reader knows."""


@dataclass(frozen=True)
class Schema:
    name: str
    parsed: Any
    canonical: str
    fingerprint: bytes


def schema_path(name: str, directory: Path | None = None) -> Path:
    return (directory or settings.SCHEMAS_DIR) / f"{name}.avsc"


@lru_cache(maxsize=None)
def load(name: str, directory: Path | None = None) -> Schema:
    """A record schema from `schemas/<full name>.avsc`, its named references resolved beside it."""
    path = schema_path(name, directory)
    if not path.exists():
        raise FileNotFoundError(f"schema {name} not found at {path}; set TYNDAU_SCHEMAS_DIR to the schemas/ folder")
    parsed = avro_schema.load_schema(str(path))
    canonical = avro_schema.to_parsing_canonical_form(parsed)
    fingerprint = bytes.fromhex(avro_schema.fingerprint(canonical, "CRC-64-AVRO"))
    return Schema(name, parsed, canonical, fingerprint)


@lru_cache(maxsize=None)
def writers() -> dict[bytes, Schema]:
    """Every writer schema this reader can decode, by fingerprint: the current files and released versions."""
    known: dict[bytes, Schema] = {}
    for name in TOP_LEVEL:
        current = load(name)
        known[current.fingerprint] = current
    for version_dir in released_versions():
        for name in TOP_LEVEL:
            if schema_path(name, version_dir).exists():
                old = load(name, version_dir)
                known.setdefault(old.fingerprint, old)
    return known


def encode(name: str, record: dict[str, Any]) -> bytes:
    schema = load(name)
    out = io.BytesIO()
    out.write(MAGIC)
    out.write(schema.fingerprint)
    fastavro.schemaless_writer(out, schema.parsed, record)
    return out.getvalue()


def encode_event(event: dict[str, Any], name: str = EVENT) -> bytes:
    """An AppealEvent (or PublicAppealEvent); its payload goes to the union branch named by `event_type`."""
    tagged = dict(event)
    branch = PAYLOAD_RECORDS[event["event_type"]]
    if name == PUBLIC_EVENT and event["event_type"] == "filed":
        branch = PUBLIC_FILED
    tagged["payload"] = (branch, event["payload"])
    return encode(name, tagged)


def release_number(name: str) -> tuple[int, ...] | None:
    """(major, minor) of a release folder named vMAJOR or vMAJOR.MINOR; None for any other name."""
    parts = name[1:].split(".") if name.startswith("v") else []
    if not 1 <= len(parts) <= 2 or not all(part.isdigit() for part in parts):
        return None
    return tuple(int(part) for part in parts) + (0,) * (2 - len(parts))


def released_versions() -> list[Path]:
    """The folders of released schema versions, oldest first (schemas/released/v1, v1.1, …, v2, …).

    A minor release (v1.1) adds fields with defaults and stays fully compatible with its major version."""
    released = settings.SCHEMAS_DIR / "released"
    if not released.is_dir():
        return []
    return sorted((p for p in released.iterdir() if p.is_dir() and release_number(p.name)), key=lambda p: release_number(p.name))


def _split_names(node: Any) -> Any:
    """Named types as {"name": "X", "namespace": "a.b"} rather than "a.b.X": the same schema, in the
    form the AsyncAPI Avro schema (and some tools) accept."""
    if isinstance(node, list):
        return [_split_names(n) for n in node]
    if isinstance(node, dict):
        out = {k: _split_names(v) for k, v in node.items()}
        if out.get("type") in ("record", "enum", "fixed") and "." in out.get("name", ""):
            out["namespace"], out["name"] = out["name"].rsplit(".", 1)
        return out
    return node


def schema_json(name: str, directory: Path | None = None) -> str:
    """The full writer schema as JSON, named types inlined: what the schemas topic publishes."""
    import json
    return json.dumps(_split_names(avro_schema.load_schema(str(schema_path(name, directory)), _write_hint=False)), sort_keys=True)


def split_header(message: bytes) -> tuple[bytes, memoryview]:
    if len(message) < HEADER_SIZE or message[:2] != MAGIC:
        raise DecodeError("not Avro single-object encoded (missing the C3 01 marker)")
    return bytes(message[2:HEADER_SIZE]), memoryview(message)[HEADER_SIZE:]


def _writer(fingerprint: bytes) -> Schema:
    writer = writers().get(fingerprint)
    if writer is None:
        raise DecodeError(f"unknown writer schema fingerprint {fingerprint.hex()}; fetch it from the schemas topic or upgrade")
    return writer


def _resolved_to(writer: Schema, reader: str | None) -> Any:
    """The reader schema to resolve `writer` to, or None when it is the writer's own."""
    parsed = load(reader or writer.name).parsed
    return None if parsed is writer.parsed else parsed


def decode(message: bytes, reader: str | None = None) -> dict[str, Any]:
    """Decode with the writer schema named by the message's fingerprint, resolved to `reader`
    (by default the writer's own record name, as this version of tyndau knows it)."""
    fingerprint, body = split_header(message)
    writer = _writer(fingerprint)
    return fastavro.schemaless_reader(io.BytesIO(body), writer.parsed, _resolved_to(writer, reader))


_SYNC = bytes(16)   # the sync marker of the containers decode_many builds in memory


@lru_cache(maxsize=None)
def _container_header(fingerprint: bytes) -> bytes:
    out = io.BytesIO()
    fastavro.writer(out, _writer(fingerprint).parsed, [], sync_marker=_SYNC)
    return out.getvalue()


def _long(n: int) -> bytes:
    """An Avro long: zig-zag, then base-128 varint."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def decode_many(messages: list[bytes], keys: list[str] | None = None) -> list[dict[str, Any]]:
    """decode() of each message, done as one Avro block per run of messages with the same writer.

    A replay decodes a million events: one fastavro reader over a block saves the per-call
    set-up that schemaless_reader repeats for every message. With `keys` (the Kafka keys, which
    are the appeal ids), each record's appeal_id is checked against its key, so a malformed body
    cannot shift the records after it; any trouble and the run is decoded message by message,
    which raises DecodeError for the bad one.
    """
    out: list[dict[str, Any]] = []
    i, n = 0, len(messages)
    while i < n:
        fingerprint, _ = split_header(messages[i])
        j = i + 1
        while j < n and messages[j][2:HEADER_SIZE] == fingerprint and messages[j][:2] == MAGIC:
            j += 1
        writer = _writer(fingerprint)
        data = b"".join(memoryview(m)[HEADER_SIZE:] for m in messages[i:j])
        block = b"".join((_container_header(fingerprint), _long(j - i), _long(len(data)), data, _SYNC))
        try:
            records = list(fastavro.reader(io.BytesIO(block), reader_schema=_resolved_to(writer, None)))
            if len(records) != j - i or (keys is not None and any(
                    r.get("appeal_id") != k for r, k in zip(records, keys[i:j]) if k is not None)):
                raise DecodeError("the block did not decode record for record")
        except Exception:
            records = [decode(m) for m in messages[i:j]]
        out.extend(records)
        i = j
    return out


def decode_as_written(message: bytes) -> dict[str, Any]:
    """Decode with the writer schema alone, no resolution: the form the event's hash was computed over."""
    fingerprint, body = split_header(message)
    return fastavro.schemaless_reader(io.BytesIO(body), _writer(fingerprint).parsed, None)
