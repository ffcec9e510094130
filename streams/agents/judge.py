"""Judging one command message: for any bytes as key and value, an event to append or a rejection to record.

Nothing here raises because of what a sender wrote. Every field is checked by the domain's
parser (type, Unicode, length, range) before it is used; a bug that still raises becomes a
rejection `internal_error` with the exception's class, and an ERROR log line without the
command's content (it may hold personal data).
"""

from __future__ import annotations

import hashlib
import logging
import traceback
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, NamedTuple

import orjson

from .. import settings, topics
from ..auth.assertions import verify_assertion
from ..auth.keys import KeyRing
from ..auth.tokens import AuthError
from ..avro import codec
from ..domain import bounds
from ..domain.appeal import AppealState, decide, evolve
from ..domain.chain import seal
from ..domain.commands import CommandError, parse_command
from ..domain.principals import Principal, actor_record, authorize
from ..domain.sealing import SealingFailed
from ..kafka.records import partition_of

log = logging.getLogger(__name__)

StateLookup = Callable[[str], AppealState | None]
Sealer = Callable[[dict[str, Any]], dict[str, Any]]   # seals an event's personal fields before it is hashed
UsedAssertion = Callable[[bytes], bool]   # whether this tyndau-auth header was already used by a refused command


class Verdict(NamedTuple):
    """What the ledger writes for one command: `value` goes to appeals.events (when `event` is
    set, with `state` the appeal's state after it) or to appeals.rejected (when `rejection` is)."""
    key: bytes | None
    value: bytes
    event: dict[str, Any] | None = None
    state: AppealState | None = None
    rejection: dict[str, Any] | None = None


def header(headers: Any, name: str) -> bytes | None:
    """A Kafka header's value by name (the first), as bytes; headers come as pairs or a dict."""
    try:
        pairs = headers.items() if isinstance(headers, dict) else headers or ()
        for key, value in pairs:
            if key == name:
                return value if isinstance(value, bytes) else str(value).encode("utf-8", "backslashreplace")
    except (TypeError, ValueError):
        return None
    return None


def _identifier(value: Any) -> str | None:
    """`value` when it is a well-formed identifier (printable, at most 128 characters), else None."""
    if isinstance(value, str) and bounds.text_problem(value, bounds.MAX_ID_CHARS, free_text=False) is None:
        return value
    return None


def _request_id(headers: Any) -> str | None:
    raw = header(headers, topics.REQUEST_ID_HEADER)
    if raw is None or len(raw) > bounds.MAX_ID_CHARS * 4:
        return None
    try:
        return _identifier(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _detail(text: str) -> str:
    if len(text) > bounds.MAX_DETAIL_CHARS:
        text = text[: bounds.MAX_DETAIL_CHARS - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def rejection_record(message: Any, reason: str, detail: str, obj: Any, now: datetime,
                     sender: Principal | None = None) -> dict[str, Any]:
    """The CommandRejected record: only well-formed identifiers are copied out of the command; the command
    itself is not kept (it may hold personal data that could never be erased from a topic kept for ever),
    only its SHA-256, by which its sender can find the rejection of the bytes they sent."""
    fields = obj if isinstance(obj, dict) else {}
    value = message.value if isinstance(message.value, bytes) else b""
    record = {
        "rejection_id": str(uuid.uuid4()),
        "request_id": _request_id(message.headers),
        "command_id": _identifier(fields.get("command_id")),
        "appeal_id": _identifier(fields.get("appeal_id")),
        "command_type": _identifier(fields.get("type")),
        "reason": reason,
        "detail": _detail(detail),
        "command": b"",
        "source_topic": str(message.topic),
        "source_partition": int(message.partition),
        "source_offset": int(message.offset),
        "rejected_at": now,
        "command_prefix": None,
        "command_sha256": hashlib.sha256(value).hexdigest(),
        "sent_by": None if sender is None else {"role": sender.role, "id": sender.name,
                                                "bodies": list(sender.bodies), "regions": list(sender.regions)},
    }
    return record


def _rejected(message: Any, reason: str, detail: str, obj: Any, now: datetime, sender: Principal | None = None) -> Verdict:
    record = rejection_record(message, reason, detail, obj, now, sender)
    key = record["appeal_id"].encode() if record["appeal_id"] else None
    return Verdict(key, codec.encode(codec.REJECTION, record), rejection=record)


def _parse_json(value: Any) -> Any:
    if not isinstance(value, bytes):
        raise CommandError("malformed", "the message has no value; send one JSON object per command")
    if len(value) > bounds.MAX_COMMAND_BYTES:
        raise CommandError("too_large", f"the command is {len(value)} bytes; at most {bounds.MAX_COMMAND_BYTES} are accepted")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as error:
        # orjson's messages name the problem (invalid UTF-8, nesting over 1024, a bad token), never the content.
        raise CommandError("malformed", f"the message value is not a JSON document ({_detail(str(error))[:200]}); "
                                        "send one JSON object per command, UTF-8") from None


LOG_APPEND_TIME = 1   # Kafka's timestamp type of a record stamped by the broker (0: the sender's CreateTime)


def written_at(message: Any, now: datetime) -> datetime:
    """When the record was written: its Kafka timestamp when the broker set it (appeals.commands
    keeps the append time; the worker will not start otherwise); `now` for a record whose time
    the sender chose or that has none, so a copied assertion cannot be dated back into its window."""
    stamp = getattr(message, "timestamp", None)
    if getattr(message, "timestamp_type", None) != LOG_APPEND_TIME:
        return now
    if isinstance(stamp, bool) or not isinstance(stamp, (int, float)) or stamp <= 0:
        return now
    seconds = stamp / 1000 if stamp > 1e11 else stamp   # aiokafka gives milliseconds, Faust seconds
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return now


def _judge(message: Any, now: datetime, state_of: StateLookup, holder: dict, ring: KeyRing,
           used: UsedAssertion | None, sealer: Sealer | None) -> Verdict:
    try:
        obj, unreadable = _parse_json(message.value), None
        holder["obj"] = obj
    except CommandError as error:
        obj, unreadable = None, error
    # Who sent it comes first: a record without a valid assertion is `unauthenticated`, whatever it holds.
    command_id = obj.get("command_id") if isinstance(obj, dict) else None
    assertion = header(message.headers, topics.AUTH_HEADER)
    # The ledger's clock for this command is when the broker wrote it, not when a worker got round to it: a
    # backlog, a restart or a re-judgement after a crash judges each command at the same moment.
    clock = written_at(message, now)
    try:
        principal = verify_assertion(ring, assertion, message.value if isinstance(message.value, bytes) else b"",
                                     command_id if isinstance(command_id, str) else None, clock)
    except AuthError as error:
        raise CommandError("unauthenticated", error.detail) from None
    if used is not None and used(assertion):
        # The same bytes and header again within the assertion's minutes: a copy, not the API's writing.
        raise CommandError("unauthenticated", "this tyndau-auth assertion was already used by an earlier record that "
                                              "was refused; send the command again through the API")
    holder["sender"] = principal
    if unreadable is not None:
        raise unreadable
    command = parse_command(obj)
    key = message.key
    try:
        key_text = key.decode("utf-8") if isinstance(key, bytes) else key
    except UnicodeDecodeError:
        key_text = None
    if key_text != command.appeal_id:
        raise CommandError("key_mismatch", f"the message key {bounds.shown(key_text if key_text is not None else key)} "
                                           f"must equal appeal_id {bounds.shown(command.appeal_id)}")
    expected = partition_of(command.appeal_id.encode())
    if message.partition != expected:
        # Another partition's ledger would start a second chain for the same appeal.
        raise CommandError("wrong_partition", f"appeal {bounds.shown(command.appeal_id)} belongs on partition {expected} of "
                                              f"{message.topic} (Kafka's default partitioner); it came on {message.partition}")
    previous = state_of(command.appeal_id)
    authorize(principal, command, previous)
    actor, imported_by = actor_record(principal, command)
    event = decide(previous, command, now, actor, imported_by, clock=clock, filing_window=settings.FILING_WINDOW)
    event = seal(sealer(event) if sealer is not None else event)   # personal fields sealed before the hash
    state = evolve(previous, event)   # the state holds no personal field
    return Verdict(command.appeal_id.encode(), codec.encode_event(event), event=event, state=state)


def judge(message: Any, now: datetime, state_of: StateLookup, ring: KeyRing, used: UsedAssertion | None = None,
          sealer: Sealer | None = None) -> Verdict:
    """The verdict on one command message (anything with key, value, headers, topic, partition,
    offset and timestamp attributes: a Faust event's message, an aiokafka record), whose `tyndau-auth`
    assertion is checked with `ring` (and, with `used`, that it did not already serve a refused
    command), and whose event's personal fields `sealer` seals. Never raises on input; SealingFailed (a disk or
    key service, not the command) is raised, so the command is judged again after the restart."""
    holder: dict = {}   # the decoded JSON and the verified sender, once known: a rejection names them
    try:
        return _judge(message, now, state_of, holder, ring, used, sealer)
    except SealingFailed:
        raise
    except CommandError as error:
        reason, detail = error.reason, error.detail
    except Exception as error:  # a bug met by this input: recorded as a rejection, never a crash
        reason, detail = "internal_error", type(error).__name__
        log.error("internal error judging the command at %s[%s]@%s: %s\n%s", message.topic, message.partition,
                  message.offset, type(error).__name__, "".join(traceback.format_tb(error.__traceback__)))
    try:
        return _rejected(message, reason, detail, holder.get("obj"), now, holder.get("sender"))
    except Exception as error:  # even the rejection would not encode: record the bare facts
        log.error("internal error recording the rejection of %s[%s]@%s: %s", message.topic, message.partition,
                  message.offset, type(error).__name__)
        return _rejected(message, "internal_error", type(error).__name__, None, now)
