"""Crypto-shredding: an appeal's personal fields encrypted under its own data key, itself wrapped by a master key.

- Each appeal has one 256-bit **data key**, minted by the ledger that owns its partition and written to the
  compacted topic appeals.keys (record AppealDataKey, key: appeal id) in the same transaction as, and before,
  the appeal's first event. On the topic it is **wrapped** (AES-256-GCM) by a master key (`MasterKey`: this
  module's `LocalMasterKey` from settings, or a KMS behind the same two methods).
- An event's personal fields (streams/domain/events.py) are sealed into `AppealEvent.sealed`
  (SealedPersonalData): AES-256-GCM of the JSON object {field: value}, with a fresh 96-bit nonce and the
  appeal and event ids as associated data, so a sealed block moved onto another event does not open. The
  clear fields are null. The hash chain covers the sealed bytes, so it verifies whether the key exists or not.
- Destroying the data key (a tombstone on appeals.keys: `tyndau erase`) erases every sealed field of the appeal.

No I/O: the ledger passes the nonces and data keys in (os.urandom); a master key draws its own nonces.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .events import BY_NAME

ALGORITHM = "AES-256-GCM"
KEY_BYTES = 32
NONCE_BYTES = 12


class SealingFailed(Exception):
    """Sealing could not be done for a reason that is not the command's (a disk, a master key service): the
    ledger stops rather than record a verdict, and the command is judged again after the restart."""


class KeyUnavailable(Exception):
    """A data key or sealed block that cannot be opened: the master key that wrapped it is not held, or the
    bytes were not written by this code for this appeal."""


class MasterKey(Protocol):
    """What wraps the appeals' data keys. A KMS implements these two calls (the data key never leaves as clear
    text except to the process that seals or opens the appeal's fields)."""

    key_id: str

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, master_key_id: str, context: bytes) -> bytes: ...


def master_key_id(key: bytes) -> str:
    """A master key's public name: the first 16 hex digits of SHA-256 of the key (it reveals nothing of it)."""
    return "mk-" + hashlib.sha256(b"tyndau master key id\0" + key).hexdigest()[:16]


@dataclass(frozen=True)
class LocalMasterKey:
    """Master keys held by the process (TYNDAU_MASTER_KEY, and TYNDAU_MASTER_KEYS_PREVIOUS for rotation):
    the active one wraps, every one unwraps what it wrapped."""

    active: bytes
    previous: tuple[bytes, ...] = ()

    @property
    def key_id(self) -> str:
        return master_key_id(self.active)

    def _by_id(self) -> dict[str, bytes]:
        return {master_key_id(k): k for k in (self.active, *self.previous)}

    def wrap(self, data_key: bytes, context: bytes, nonce: bytes | None = None) -> bytes:
        nonce = nonce or os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self.active).encrypt(nonce, data_key, b"tyndau data key\0" + context)

    def unwrap(self, wrapped: bytes, master_key_id: str, context: bytes) -> bytes:
        key = self._by_id().get(master_key_id)
        if key is None:
            raise KeyUnavailable(f"master key {master_key_id} is not among the configured ones "
                                 "(TYNDAU_MASTER_KEY, TYNDAU_MASTER_KEYS_PREVIOUS)")
        try:
            data_key = AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"tyndau data key\0" + context)
        except (InvalidTag, ValueError):
            raise KeyUnavailable("the wrapped data key does not open with its master key") from None
        if len(data_key) != KEY_BYTES:
            raise KeyUnavailable("the wrapped data key is not 256 bits")
        return data_key


def parse_key(text: str, setting: str) -> bytes:
    """A 256-bit key written as 64 hex digits; ValueError naming the setting otherwise."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError(f"{setting} is not hexadecimal: give 64 hex digits (openssl rand -hex 32)") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"{setting} has {len(key)} bytes: give exactly {KEY_BYTES} (64 hex digits, openssl rand -hex 32)")
    return key


def key_context(appeal_id: str, key_id: str) -> bytes:
    """The associated data that binds a wrapped data key to its appeal and id."""
    return appeal_id.encode() + b"\0" + key_id.encode()


def data_key_record(appeal_id: str, key_id: str, data_key: bytes, master: MasterKey, created_at: Any,
                    first_sequence: int = 1) -> dict[str, Any]:
    """The AppealDataKey record of appeals.keys for a freshly minted data key, first used for the appeal's event
    `first_sequence` (1: its filing)."""
    return {"appeal_id": appeal_id, "key_id": key_id, "master_key_id": master.key_id, "created_at": created_at,
            "wrapped_key": master.wrap(data_key, key_context(appeal_id, key_id)), "first_sequence": first_sequence}


def open_data_key(record: dict[str, Any], master: MasterKey) -> bytes:
    """The data key an AppealDataKey record holds (KeyUnavailable when it does not open)."""
    return master.unwrap(record["wrapped_key"], record["master_key_id"], key_context(record["appeal_id"], record["key_id"]))


def _context(event: dict[str, Any]) -> bytes:
    return b"tyndau sealed\0" + event["appeal_id"].encode() + b"\0" + str(event["event_id"]).encode()


def personal_values(event: dict[str, Any]) -> dict[str, Any]:
    """The event's personal fields that hold a value."""
    payload = event["payload"]
    return {name: payload[name] for name in BY_NAME[event["event_type"]].personal if payload.get(name) is not None}


def seal_event(event: dict[str, Any], data_key: bytes, key_id: str, nonce: bytes) -> dict[str, Any]:
    """The event with its personal fields sealed under the appeal's data key (unchanged when it has none).
    Call before the event's hash is computed: the chain covers the sealed form."""
    values = personal_values(event)
    if not values:
        return event
    plaintext = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
    sealed = {"key_id": key_id, "algorithm": ALGORITHM, "nonce": nonce, "fields": sorted(values),
              "ciphertext": AESGCM(data_key).encrypt(nonce, plaintext, _context(event))}
    payload = dict(event["payload"])
    for name in values:
        payload[name] = None
    return {**event, "payload": payload, "sealed": sealed}


def withhold_personal(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its personal fields left out (null): for an appeal whose data key was destroyed."""
    values = personal_values(event)
    if not values:
        return event
    return {**event, "payload": {**event["payload"], **{name: None for name in values}}}


def unsealed_fields(event: dict[str, Any], data_key: bytes, key_id: str | None = None) -> dict[str, Any]:
    """The sealed fields' values ({} for an event without any); KeyUnavailable when they do not open."""
    sealed = event.get("sealed")
    if not sealed:
        return {}
    if key_id is not None and sealed.get("key_id") != key_id:
        raise KeyUnavailable("the sealed fields name another data key than the appeal's")
    if sealed.get("algorithm") != ALGORITHM:
        raise KeyUnavailable(f"sealed with {sealed.get('algorithm')!r}, which this version does not open")
    try:
        values = orjson.loads(AESGCM(data_key).decrypt(sealed["nonce"], sealed["ciphertext"], _context(event)))
    except (InvalidTag, ValueError):
        raise KeyUnavailable("the sealed fields do not open with the appeal's data key") from None
    if not isinstance(values, dict):
        raise KeyUnavailable("the sealed fields are not an object")
    allowed = set(BY_NAME[event["event_type"]].personal)
    return {name: value for name, value in values.items() if name in allowed}
