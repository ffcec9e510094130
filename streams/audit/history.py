"""For auditors and courts: one appeal's history straight from the ledger, checked, and its state at any moment.

ClickHouse is the index (where each event sits: partition and offset); the events themselves
are read from appeals.events, so the chain is checked on exactly what the ledger holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import settings
from ..avro import codec
from ..avro.jsonable import jsonable
from ..domain.appeal import fold
from ..domain.chain import chain_problems
from ..domain.privacy import citizen_ref_of, public_payload
from ..domain.sealing import MasterKey, open_data_key, unsealed_fields
from ..kafka.data_keys import Erased, lookup_keys
from ..kafka.log_reader import LogReader


def erased_marker(erased: Erased) -> dict[str, str]:
    """What stands in place of an erased field."""
    return {"erased_on": erased.at.date().isoformat()}


OpenedKey = tuple[str, bytes]   # an appeal's data key: its id and the key in clear


def sealed_values(event: dict[str, Any], key: OpenedKey | Erased | None) -> dict[str, Any]:
    """The event's sealed fields opened with its appeal's key, or marked erased ({} when it has none)."""
    if not event.get("sealed"):
        return {}
    if isinstance(key, tuple):
        return unsealed_fields(event, key[1], key[0])
    return {name: erased_marker(key) if isinstance(key, Erased) else None for name in event["sealed"]["fields"]}


def history_entry(event: dict[str, Any], partition: int, offset: int, personal: bool,
                  key: OpenedKey | Erased | None = None) -> dict[str, Any]:
    """One event as the history shows it: with its place in the log, personal data only when asked for
    (opened with the appeal's data key `key`, or marked erased when the key was destroyed)."""
    payload = dict(event["payload"]) if personal else public_payload(event)
    if personal:
        payload.update(sealed_values(event, key))
    if not personal and event["event_type"] == "filed":
        payload["citizen_ref"] = citizen_ref_of(event, settings.PSEUDONYM_KEY)
    return jsonable({
        "sequence": event["sequence"], "type": event["event_type"], "occurred_at": event["occurred_at"],
        "recorded_at": event["recorded_at"], "actor": event["actor"], "imported_by": event.get("imported_by"),
        "region": event["region"], "body": event["body"],
        "command_id": event["command_id"], "event_id": event["event_id"], "payload": payload,
        "prev_hash": event["prev_hash"], "hash": event["hash"], "partition": partition, "offset": offset,
    })


async def appeal_key(appeal_id: str, master: MasterKey) -> OpenedKey | Erased | None:
    """The appeal's data key opened, its erasure, or None (no key: filed before personal data was sealed).
    KeyUnavailable when the key does not open (a master key not configured)."""
    entry = (await lookup_keys([appeal_id])).get(appeal_id)
    if entry is None or isinstance(entry, Erased):
        return entry
    return entry["key_id"], open_data_key(entry, master)


async def opened_fields(event: dict[str, Any], master: MasterKey) -> dict[str, Any]:
    """One event's sealed fields opened with its appeal's key, or marked erased ({} when it has none)."""
    if not event.get("sealed"):
        return {}
    return sealed_values(event, await appeal_key(event["appeal_id"], master))


async def appeal_history(appeal_id: str, lineage: list[dict[str, Any]], reader: LogReader,
                         as_of: datetime | None = None, personal: bool = False,
                         master: MasterKey | None = None) -> dict[str, Any] | None:
    """The history document for one appeal, given its lineage rows from the projection; with `personal`, its
    sealed fields opened with `master` (or marked erased on the day its data key was destroyed, and the document's
    `erased_on` set). KeyUnavailable when a key does not open."""
    if not lineage:
        return None
    key = await appeal_key(appeal_id, master) if personal and master is not None else None
    records = await reader.fetch([(int(r["partition"]), int(r["offset"])) for r in lineage])
    events, shown, problems = [], [], []
    for row in lineage:
        place = (int(row["partition"]), int(row["offset"]))
        raw = records.get(place)
        if raw is None:
            problems.append({"sequence": row["sequence"], "problem": f"no record at partition {place[0]} offset {place[1]}"})
            continue
        event = codec.decode_as_written(raw)
        if event["appeal_id"] != appeal_id or event["sequence"] != row["sequence"]:
            problems.append({"sequence": row["sequence"], "problem": "the record at this place is another event"})
            continue
        events.append(event)
        shown.append(history_entry(event, *place, personal=personal, key=key))
    problems += [{"sequence": seq, "problem": what} for seq, what in chain_problems(events)]
    document: dict[str, Any] = {"appeal_id": appeal_id, "events": shown, "chain_ok": not problems, "problems": problems}
    if isinstance(key, Erased):
        document["erased_on"] = key.at.date().isoformat()
    try:
        state = fold(events, as_of=as_of)
    except ValueError as error:     # e.g. the filing is missing: the chain problems above say why
        state = None
        document["problems"].append({"sequence": None, "problem": f"cannot fold the events: {error}"})
        document["chain_ok"] = False
    if as_of is not None:
        document["as_of"] = jsonable(as_of)
    document["state"] = None if state is None else jsonable(state.as_dict())
    return document
